import type { Server } from 'node:http';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { rawGet as rawGetFrom, RawResponse } from '../support/raw-get';
import { startTestApp, TestApp } from '../support/test-app';
import {
  createSite,
  livePath,
  SiteProject,
  ULID_NAMED,
  updateSite,
  versionPath,
  VERSION_SITES_ENV,
} from '../support/version-sites';

describe('GET /preview/:projectId/* (the project\u2019s stable URL)', () => {
  let t: TestApp;
  let server: Server;
  let project: SiteProject & { v1: string; v2: string };
  let unbuilt: SiteProject;

  const rawGet = (path: string): Promise<RawResponse> => rawGetFrom(server, path);

  const setCurrent = (versionId: string) =>
    t
      .http()
      .post(`/v1/projects/${project.projectId}/current-version`)
      .send({ userId: project.userId, versionId })
      .expect(200);

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api', 'worker'], env: VERSION_SITES_ENV });
    const [first, failed] = await Promise.all([createSite(t, 'First version'), createSite(t, 'A site that will FAIL')]);
    expect([first.status, failed.status]).toEqual(['succeeded', 'failed']);
    unbuilt = failed;
    const second = await updateSite(t, first, 'Second version');
    project = { ...first, v1: first.versionId, v2: second.versionId };
    await symlink(
      '/etc/passwd',
      join(t.projectsRoot, project.userId, project.projectId, 'builds', second.buildId, 'leak.html'),
    );
    server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(() => t?.close());

  it('serves the current version\u2019s index.html at /preview/:projectId/, revalidated, with the versioned route\u2019s security headers', async () => {
    const live = await t.unsigned().get(livePath(project)).expect(200);
    const versioned = await t.unsigned().get(versionPath(project, project.v2)).expect(200);

    expect(live.text).toBe(`<p>${project.v2}</p>`);
    expect(live.headers['cache-control']).toBe('no-cache');
    expect(live.headers.etag).toBe(`"${project.v2}"`);
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(versioned.headers.etag).toBeUndefined();
    for (const header of ['content-type', 'content-security-policy', 'x-content-type-options', 'accept-ranges']) {
      expect([header, live.headers[header]]).toEqual([header, versioned.headers[header]]);
    }
    expect(live.headers['content-security-policy']).toMatch(/^sandbox allow-scripts/);
    expect(live.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves a nested path of the current version, so relative links keep working', async () => {
    const response = await t.unsigned().get(livePath(project, 'pages/about.html')).expect(200);

    expect(response.text).toBe(`about ${project.v2}`);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await t.unsigned().head(livePath(project, 'pages/about.html')).expect(200);

    expect(response.headers.etag).toBe(`"${project.v2}"`);
    expect(response.headers['content-length']).toBe(String(`about ${project.v2}`.length));
    expect(response.text ?? '').toBe('');
  });

  it('answers one byte range with 206, and the whole file when If-Range names another version', async () => {
    const part = await t.unsigned().get(livePath(project, 'pages/about.html')).set('Range', 'bytes=0-4').expect(206);
    expect(part.text).toBe('about');
    expect(part.headers['content-range']).toBe(`bytes 0-4/${`about ${project.v2}`.length}`);

    const resumed = await t
      .unsigned()
      .get(livePath(project, 'pages/about.html'))
      .set('Range', 'bytes=0-4')
      .set('If-Range', `"${project.v1}"`)
      .expect(200);
    expect(resumed.text).toBe(`about ${project.v2}`);
  });

  it('answers 304 to the ETag of the version still current, and the new version after a rollback', async () => {
    const cached = `"${project.v2}"`;
    const notModified = await t.unsigned().get(livePath(project)).set('If-None-Match', cached).expect(304);
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(cached);

    await setCurrent(project.v1);
    try {
      const changed = await t.unsigned().get(livePath(project)).set('If-None-Match', cached).expect(200);
      expect(changed.text).toBe(`<p>${project.v1}</p>`);
      expect(changed.headers.etag).toBe(`"${project.v1}"`);
    } finally {
      await setCurrent(project.v2);
    }
  });

  it('reads a first segment that is a ULID as a version: such a top-level folder is served at its version\u2019s URL only', async () => {
    await t
      .unsigned()
      .get(livePath(project, `${ULID_NAMED}/page.html`))
      .expect(404);
    const own = await t
      .unsigned()
      .get(versionPath(project, project.v2, `${ULID_NAMED}/page.html`))
      .expect(200);
    expect(own.text).toBe(`top ${project.v2}`);
    const nested = await t
      .unsigned()
      .get(livePath(project, `assets/${ULID_NAMED}/page.html`))
      .expect(200);
    expect(nested.text).toBe(`nested ${project.v2}`);
  });

  it.each<[string, () => string]>([
    ['a project without a current version (its only build failed)', () => livePath(unbuilt)],
    ['an unknown project', () => '/preview/00000000-0000-4000-8000-000000000000/'],
    ['a missing file', () => livePath(project, 'nope.html')],
    ['a symlink planted in the output', () => livePath(project, 'leak.html')],
    ['a version\u2019s URL without its slash', () => `/preview/${project.projectId}/${project.v2}`],
  ])('answers 404 problem+json for %s', async (_what, path) => {
    const response = await t.unsigned().get(path()).expect(404);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'not_found' });
  });

  it.each([
    ['../', `${'../'.repeat(8)}etc/passwd`],
    ['%2e%2e%2f', `${'%2e%2e%2f'.repeat(8)}etc%2fpasswd`],
    ['..%2f', `${'..%2f'.repeat(8)}etc%2fpasswd`],
    ['an encoded slash', 'pages%2fabout.html'],
    ['an encoded backslash', '..%5c..%5cetc%5cpasswd'],
  ])('never serves a file outside the current output folder: %s', async (_what, path) => {
    const response = await rawGet(livePath(project, path));

    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain('root:');
  });

  it('refuses methods other than GET and HEAD', async () => {
    await t.unsigned().post(livePath(project, 'index.html')).send({}).expect(404);
    await t.unsigned().delete(livePath(project)).expect(404);
  });
});
