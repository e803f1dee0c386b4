import { randomFillSync, randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Random bytes from the OS, drawn a page at a time: ulid's own generator asks for one byte per
 * character (16 calls per ULID, three ULIDs per create). A byte / 256 picks each of the 32
 * characters with the same chance.
 */
const randomBytePool = new Uint8Array(4096);
let nextRandomByte = randomBytePool.length;
function pooledRandom(): number {
  if (nextRandomByte === randomBytePool.length) {
    randomFillSync(randomBytePool);
    nextRandomByte = 0;
  }
  return randomBytePool[nextRandomByte++] / 256;
}

/**
 * One monotonic factory for the whole process: ULIDs made in the same millisecond still sort in
 * the order they were made (builds, versions and sessions are listed by id).
 */
const monotonicUlid = monotonicFactory(pooledRandom);

/** A ULID as the `ulid` domain in the schema accepts it: 26 characters of Crockford base32. */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A UUID of any version, in the lower case PostgreSQL prints and project directories use. */
export const LOWER_CASE_UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newUlid(): string {
  return monotonicUlid();
}

/** Project ids are random UUID v4: unguessable, and never chosen by a caller unless legacy. */
export function newProjectId(): string {
  return randomUUID();
}
