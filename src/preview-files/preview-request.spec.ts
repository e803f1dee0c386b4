import { parsePreviewRequest } from './preview-request';

const PROJECT = '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a';
const VERSION = '01JDRZ8Q4XK8V1N9E6W3T2Y5B7';

describe('parsePreviewRequest', () => {
  it.each([
    [`/preview/${PROJECT}/${VERSION}/`, { versionId: VERSION, segments: ['index.html'] }],
    [`/preview/${PROJECT}/${VERSION}/assets/app.css`, { versionId: VERSION, segments: ['assets', 'app.css'] }],
    [`/preview/${PROJECT}/${VERSION.toLowerCase()}/a.js?x=1`, { versionId: VERSION, segments: ['a.js'] }],
    [`/preview/${PROJECT}/`, { segments: ['index.html'] }],
    [`/preview/${PROJECT}/about/`, { segments: ['about', 'index.html'] }],
    [`/preview/${PROJECT}/assets/${VERSION}/logo.svg`, { segments: ['assets', VERSION, 'logo.svg'] }],
    [`/preview/${PROJECT}/not-a-ulid/`, { segments: ['not-a-ulid', 'index.html'] }],
    [`/preview/${PROJECT}/caf%C3%A9.html`, { segments: ['café.html'] }],
  ])('reads %s', (url, expected) => {
    expect(parsePreviewRequest(url)).toEqual({ projectId: PROJECT, ...expected });
  });

  it('reads the stable URL of a project spelled in upper case as the stored id', () => {
    expect(parsePreviewRequest(`/preview/${PROJECT.toUpperCase()}/`)?.projectId).toBe(PROJECT);
  });

  it.each([
    ['a version without a path', `/preview/${PROJECT}/${VERSION}`],
    ['a project id that is not a UUID', `/preview/not-a-uuid/`],
    ['no slash after the project', `/preview/${PROJECT}`],
    ['a dot-dot segment', `/preview/${PROJECT}/../${PROJECT}/`],
    ['an encoded slash', `/preview/${PROJECT}/a%2fb.html`],
    ['an encoded dot-dot', `/preview/${PROJECT}/%2e%2e/x`],
    ['a dot-file', `/preview/${PROJECT}/.env`],
    ['a NUL byte', `/preview/${PROJECT}/index.html%00`],
    ['an empty segment', `/preview/${PROJECT}/a//b.html`],
    ['a malformed escape', `/preview/${PROJECT}/%zz`],
    ['33 segments', `/preview/${PROJECT}/${'a/'.repeat(32)}b`],
  ])('refuses %s', (_what, url) => {
    expect(parsePreviewRequest(url)).toBeUndefined();
  });

  it('takes 32 segments after the version as after the project', () => {
    const path = `${'a/'.repeat(31)}b`;
    expect(parsePreviewRequest(`/preview/${PROJECT}/${path}`)?.segments).toHaveLength(32);
    expect(parsePreviewRequest(`/preview/${PROJECT}/${VERSION}/${path}`)?.segments).toHaveLength(32);
  });
});
