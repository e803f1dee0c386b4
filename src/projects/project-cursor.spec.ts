import { decodeProjectCursor, encodeProjectCursor } from './project-cursor';

const cursor = { createdAt: '2025-11-25T10:15:30.123456Z', id: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' };

describe('project cursors', () => {
  it('decode what they encode, as url-safe text', () => {
    const text = encodeProjectCursor(cursor);

    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeProjectCursor(text)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not canonical base64url', `${encodeProjectCursor(cursor)}A`],
    ['no separator', Buffer.from('2025-11-25T10:15:30.123456Z').toString('base64url')],
    ['a bad id', encodeProjectCursor({ ...cursor, id: 'not-a-uuid' })],
    ['an upper-case id', encodeProjectCursor({ ...cursor, id: cursor.id.toUpperCase() })],
    ['milliseconds only', encodeProjectCursor({ ...cursor, createdAt: '2025-11-25T10:15:30.123Z' })],
    ['month 13', encodeProjectCursor({ ...cursor, createdAt: '2025-13-25T10:15:30.123456Z' })],
    ['February 30', encodeProjectCursor({ ...cursor, createdAt: '2025-02-30T10:15:30.123456Z' })],
    ['year 0000', encodeProjectCursor({ ...cursor, createdAt: '0000-01-01T00:00:00.000000Z' })],
    ['an extra part', Buffer.from(`${cursor.createdAt}|${cursor.id}|x`).toString('base64url')],
  ])('refuse %s', (_case, text) => {
    expect(decodeProjectCursor(text)).toBeUndefined();
  });
});
