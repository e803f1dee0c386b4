import { RequestValidationError } from '../errors/request-validation.error';

/**
 * The framing every keyset page's `nextCursor` shares: its parts (none holding `|`) joined and
 * written as base64url, so callers see opaque text and pass it back unchanged. What the parts mean,
 * and which values they may take, is the list's own (project-cursor.ts, delivery-cursor.ts).
 */

const SEPARATOR = '|';

export function encodeOpaqueCursor(parts: readonly string[]): string {
  return Buffer.from(parts.join(SEPARATOR), 'utf8').toString('base64url');
}

/** The `count` parts, or undefined when the text is not a canonical cursor of that many parts. */
export function decodeOpaqueCursor(text: string, count: number): string[] | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64url');
  // Node's decoder skips what it cannot read; only a canonical encoding is accepted.
  if (decoded.toString('base64url') !== text) return undefined;
  const parts = decoded.toString('utf8').split(SEPARATOR);
  return parts.length === count ? parts : undefined;
}

/** The `400` for a `cursor` that no page of this API gave out. */
export function invalidCursorError(): RequestValidationError {
  return new RequestValidationError([{ field: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
}
