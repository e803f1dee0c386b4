import { decodeTime } from 'ulid';
import { newProjectId, newUlid } from './ids';

describe('ids', () => {
  it('makes ULIDs that sort in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newUlid());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decodeTime(ids[0])).toBeLessThanOrEqual(Date.now());
  });

  it('makes ULIDs of Crockford base32, as the ulid domain in the schema requires', () => {
    expect(newUlid()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('makes random version 4 project ids', () => {
    const first = newProjectId();
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newProjectId()).not.toBe(first);
  });
});
