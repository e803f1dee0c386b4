import { decodeOpaqueCursor, encodeOpaqueCursor } from '../api-fields/opaque-cursor';
import { ULID_PATTERN } from '../ids/ids';

/**
 * The position after one delivery in the newest-first list: its id alone, a ULID, which is unique
 * and sorts by the time it was made. Callers see it as opaque base64url text.
 */
export function encodeDeliveryCursor(deliveryId: string): string {
  return encodeOpaqueCursor([deliveryId]);
}

/** The delivery id, or undefined when the text is not a cursor this service issued. */
export function decodeDeliveryCursor(text: string): string | undefined {
  const [deliveryId] = decodeOpaqueCursor(text, 1) ?? [];
  return deliveryId !== undefined && ULID_PATTERN.test(deliveryId) ? deliveryId : undefined;
}
