import { jsonNestsDeeperThan } from './json-depth';

const text = (json: string) => Buffer.from(json, 'utf8');

describe('jsonNestsDeeperThan', () => {
  it.each([
    ['{}', 1, false],
    ['{"a":{"b":[1,2]}}', 3, false],
    ['{"a":{"b":[1,2]}}', 2, true],
    ['[[[]]]', 2, true],
    ['[[],[],[]]', 2, false],
  ])('%s with at most %i levels: %s', (json, max, deeper) => {
    expect(jsonNestsDeeperThan(text(json), max)).toBe(deeper);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestsDeeperThan(text(`{"prompt":"[[[{{{ \\" [[[ {{{"}`), 1)).toBe(false);
    expect(jsonNestsDeeperThan(text(`{"prompt":"\\\\"}`), 1)).toBe(false);
    expect(jsonNestsDeeperThan(text(`{"prompt":"\\\\", "a": [[]]}`), 2)).toBe(true);
  });

  it('finds 3,000 levels in one pass, however the text ends', () => {
    expect(jsonNestsDeeperThan(text('['.repeat(3000)), 32)).toBe(true);
    expect(jsonNestsDeeperThan(text(`${'['.repeat(32)}${']'.repeat(32)}`), 32)).toBe(false);
  });
});
