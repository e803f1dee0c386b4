import { decodeTime } from 'ulid';
import { LOWER_CASE_UUID_PATTERN, newProjectId, newUlid, ULID_PATTERN } from './ids';

describe('ids', () => {
  it('makes ULIDs that sort in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newUlid());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decodeTime(ids[0])).toBeLessThanOrEqual(Date.now());
  });

  it('draws every random character evenly from all 32, also across refills of its pool of random bytes', () => {
    // A new millisecond for each, so each ULID draws 16 fresh characters (80,000 bytes: 19 refills).
    let now = Date.now() + 1000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now++);
    const ids = Array.from({ length: 5000 }, () => newUlid());
    clock.mockRestore();

    const counts = new Map<string, number>();
    for (const id of ids) for (const char of id.slice(10)) counts.set(char, (counts.get(char) ?? 0) + 1);
    // 80,000 draws over 32 characters: 2,500 each, give or take 49; the band is five times that, so
    // only a broken mapping of bytes to characters (one drawn a tenth more or less often) leaves it.
    expect(counts.size).toBe(32);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(2250);
      expect(count).toBeLessThan(2750);
    }
    expect(new Set(ids.map((id) => id.slice(10))).size).toBe(ids.length);
  });

  it('makes ULIDs of Crockford base32, as the ulid domain in the schema requires', () => {
    expect(newUlid()).toMatch(ULID_PATTERN);
  });

  it.each([
    [
      'ULID',
      'takes 26 Crockford base32 characters and nothing else',
      ULID_PATTERN,
      '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      [
        '01ARZ3NDEKTSV4RRFFQ69G5FA',
        '01ARZ3NDEKTSV4RRFFQ69G5FAVX',
        '01ARZ3NDEKTSV4RRFFQ69G5FAI',
        '01arz3ndektsv4rrffq69g5fav',
      ],
    ],
    [
      'UUID',
      'takes lower case only, without braces or blanks',
      LOWER_CASE_UUID_PATTERN,
      '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b',
      [
        '6F1C2A8E-3B4D-4E5F-9A0B-1C2D3E4F5A6B',
        '{6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b}',
        '6f1c2a8e3b4d4e5f9a0b1c2d3e4f5a6b',
        '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b\n',
      ],
    ],
  ] as const)('has a %s pattern that %s', (_name, _what, pattern, good, bads) => {
    expect(good).toMatch(pattern);
    for (const bad of bads) expect(bad).not.toMatch(pattern);
  });

  it('makes random version 4 project ids', () => {
    const first = newProjectId();
    expect(first).toMatch(LOWER_CASE_UUID_PATTERN);
    // Version 4 (random), RFC 9562 variant: what LOWER_CASE_UUID_PATTERN leaves open.
    expect(first.charAt(14)).toBe('4');
    expect('89ab').toContain(first.charAt(19));
    expect(newProjectId()).not.toBe(first);
  });
});
