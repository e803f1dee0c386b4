import { decodeOpaqueCursor, encodeOpaqueCursor } from '../api-fields/opaque-cursor';
import { LOWER_CASE_UUID_PATTERN } from '../ids/ids';

/**
 * The position after one project in the newest-first list: its created_at (to the microsecond,
 * as PostgreSQL stores it, so no row is skipped or repeated) and its id (the tie-breaker).
 * Callers see it as opaque base64url text.
 */
export interface ProjectCursor {
  /** UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  createdAt: string;
  id: string;
}

const CREATED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeProjectCursor(cursor: ProjectCursor): string {
  return encodeOpaqueCursor([cursor.createdAt, cursor.id]);
}

/** The cursor, or undefined when the text is not one this service issued. */
export function decodeProjectCursor(text: string): ProjectCursor | undefined {
  const [createdAt, id] = decodeOpaqueCursor(text, 2) ?? [];
  if (createdAt === undefined || id === undefined) return undefined;
  if (!CREATED_AT_PATTERN.test(createdAt) || !LOWER_CASE_UUID_PATTERN.test(id)) return undefined;
  // A calendar date that exists (no month 13), so PostgreSQL never gets a timestamp it refuses; nor
  // year 0000, which JavaScript's calendar has and PostgreSQL's does not.
  const milliseconds = `${createdAt.slice(0, 23)}Z`;
  const parsed = new Date(milliseconds);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== milliseconds) return undefined;
  if (createdAt.startsWith('0000')) return undefined;
  return { createdAt, id };
}
