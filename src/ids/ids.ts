import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * One monotonic factory for the whole process: ULIDs made in the same millisecond still sort in
 * the order they were made (builds, versions and sessions are listed by id).
 */
const monotonicUlid = monotonicFactory();

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
