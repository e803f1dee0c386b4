import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * One monotonic factory for the whole process: ULIDs made in the same millisecond still sort in
 * the order they were made (builds, versions and sessions are listed by id).
 */
const monotonicUlid = monotonicFactory();

export function newUlid(): string {
  return monotonicUlid();
}

/** Project ids are random UUID v4: unguessable, and never chosen by a caller unless legacy. */
export function newProjectId(): string {
  return randomUUID();
}
