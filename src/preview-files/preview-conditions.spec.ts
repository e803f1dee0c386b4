import { noneMatchFails, rangeStillApplies, versionEntityTag } from './preview-conditions';

const VERSION = '01JDRZ8Q4XK8V1N9E6W3T2Y5B7';
const TAG = versionEntityTag(VERSION);

describe('preview conditions', () => {
  it('tag a file with its version, quoted as RFC 9110 writes an entity tag', () => {
    expect(TAG).toBe(`"${VERSION}"`);
  });

  it.each([
    [TAG, true],
    [`W/${TAG}`, true],
    [`"other", ${TAG}`, true],
    ['*', true],
    ['"01JDRZ8Q4XK8V1N9E6W3T2Y5B8"', false],
    [VERSION, false],
    [undefined, false],
  ])('If-None-Match %s matches: %s', (header, matches) => {
    expect(noneMatchFails(header, TAG)).toBe(matches);
  });

  it.each([
    [undefined, true],
    [TAG, true],
    ['"01JDRZ8Q4XK8V1N9E6W3T2Y5B8"', false],
    [`W/${TAG}`, false],
    ['Mon, 07 Dec 2026 06:00:00 GMT', false],
  ])('a Range under If-Range %s still applies: %s', (header, applies) => {
    expect(rangeStillApplies(header, TAG)).toBe(applies);
  });
});
