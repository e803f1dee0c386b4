import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor';
import { encodeProjectCursor } from '../projects/project-cursor';

const deliveryId = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';

describe('delivery cursors', () => {
  it('decode what they encode, as url-safe text', () => {
    const text = encodeDeliveryCursor(deliveryId);

    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeDeliveryCursor(text)).toBe(deliveryId);
  });

  it.each([
    ['empty', ''],
    ['a bare delivery id', deliveryId],
    ['not canonical base64url', `${encodeDeliveryCursor(deliveryId)}A`],
    ['a lower-case id', encodeDeliveryCursor(deliveryId.toLowerCase())],
    [
      'a project cursor',
      encodeProjectCursor({ createdAt: '2025-11-25T10:15:30.123456Z', id: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' }),
    ],
    ['an extra part', Buffer.from(`${deliveryId}|x`).toString('base64url')],
  ])('refuse %s', (_case, text) => {
    expect(decodeDeliveryCursor(text)).toBeUndefined();
  });
});
