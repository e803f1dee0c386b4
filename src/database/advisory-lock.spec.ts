import { MIGRATIONS_LOCK, userLock } from './advisory-lock';

describe('userLock', () => {
  it('derives a signed 32-bit key from the first 32 bits of the UUID', () => {
    expect(userLock('00000001-0000-4000-8000-000000000000').key).toBe(1);
    expect(userLock('ffffffff-0000-4000-8000-000000000000').key).toBe(-1);
    expect(userLock('7fffffff-9999-4000-8000-000000000000').key).toBe(2147483647);
  });

  it('gives the same key for the same user whatever the letter case', () => {
    const lower = userLock('abcdef01-2345-4678-9abc-def012345678');
    expect(userLock('ABCDEF01-2345-4678-9ABC-DEF012345678')).toEqual(lower);
  });

  it('keeps user locks apart from the migrations lock by namespace', () => {
    expect(userLock('00000000-0000-4000-8000-000000000000').namespace).not.toBe(MIGRATIONS_LOCK.namespace);
  });

  it('refuses something that is not a UUID', () => {
    expect(() => userLock('not-a-uuid')).toThrow(TypeError);
  });
});
