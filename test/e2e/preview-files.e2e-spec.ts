import type { Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { link, mkdir, readdir, readlink, rename, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SOCKET_IDLE_TIMEOUT_MS } from '../../src/http/configure-app';
import { newUlid } from '../../src/ids/ids';
import { rawGet as rawGetFrom, RawResponse } from '../support/raw-get';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

/** Writes a small site into the build's output folder; a prompt containing FAIL fails the build. */
const BUILD_COMMAND = [
  'case "$PROMPT" in *FAIL*) echo broken >&2; exit 1;; esac',
  'mkdir -p "$OUTPUT_DIR/assets/img"',
  'printf "<!doctype html><title>%s</title>" "$PROJECT_ID" > "$OUTPUT_DIR/index.html"',
  'printf "body{color:red}" > "$OUTPUT_DIR/assets/app.css"',
  'printf "console.log(1)" > "$OUTPUT_DIR/assets/app.js"',
  'printf "<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>" > "$OUTPUT_DIR/assets/img/logo.svg"',
  'printf "{\\"ok\\":true}" > "$OUTPUT_DIR/data.json"',
].join('\n');

const IS_ROOT = process.getuid?.() === 0;

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

interface Built {
  userId: string;
  projectId: string;
  versionId: string;
  buildId: string;
  status: string;
}

/** Every other letter upper-cased, the rest lower-cased: a spelling no id is stored in. */
function mixedCase(id: string): string {
  return [...id].map((char, index) => (index % 2 === 0 ? char.toUpperCase() : char.toLowerCase())).join('');
}

describe('GET /preview/:projectId/:versionId/*', () => {
  let t: TestApp;
  let ok: Built;
  let other: Built;
  let failed: Built;
  let server: Server;

  async function build(prompt: string): Promise<Built> {
    const body = createBody({ prompt });
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [row] = await t.db.query<{ status: string }>(
        `SELECT status FROM project_build_metrics WHERE build_id = $1`,
        [created.buildId],
      );
      if (row.status === 'succeeded' || row.status === 'failed') {
        return { userId: body.userId as string, ...created, status: row.status } as Built;
      }
      if (Date.now() > deadline) throw new Error(`build ${created.buildId} still ${row.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const outputOf = (b: Built) => join(t.projectsRoot, b.userId, b.projectId, 'builds', b.buildId);
  const previewOf = (b: Built, path = '') => `/preview/${b.projectId}/${b.versionId}/${path}`;

  const rawGet = (path: string): Promise<RawResponse> => rawGetFrom(server, path);

  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: { BUILDER: 'command', BUILD_COMMAND, BUILD_MAX_ATTEMPTS: '1', BUILD_RETRY_DELAY_MS: '0' },
    });
    [ok, other, failed] = await Promise.all([
      build('A site with assets'),
      build('Another site'),
      build('A site that will FAIL'),
    ]);
    expect([ok.status, other.status, failed.status]).toEqual(['succeeded', 'succeeded', 'failed']);
    await writeFile(join(outputOf(ok), 'assets', 'img', 'pixel.png'), PNG);
    // Planted as a hostile builder could: links from inside the output folder to outside it.
    await symlink('/etc/passwd', join(outputOf(ok), 'leak.html'));
    await symlink('/etc', join(outputOf(ok), 'assets', 'etc'));
    await writeFile(join(t.projectsRoot, ok.userId, ok.projectId, 'source', 'secret.txt'), 'root:x:0:0');
    // And what a process that outlived its build could add after the output was checked and published.
    execFileSync('mkfifo', [join(outputOf(ok), 'fifo.txt')]);
    await link(
      join(t.projectsRoot, ok.userId, ok.projectId, 'source', 'secret.txt'),
      join(outputOf(ok), 'hard-link.html'),
    );
    if (IS_ROOT) execFileSync('mknod', [join(outputOf(ok), 'null.html'), 'c', '1', '3']);
    server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(() => t?.close());

  it('serves index.html for the folder path as text/html, unsigned, with nosniff', async () => {
    for (const path of ['', 'index.html']) {
      const response = await t.unsigned().get(previewOf(ok, path)).expect(200);

      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe(
        'sandbox allow-scripts allow-forms allow-popups; frame-ancestors *',
      );
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.headers['accept-ranges']).toBe('bytes');
      expect(response.text).toBe(`<!doctype html><title>${ok.projectId}</title>`);
    }
  });

  it.each([
    ['assets/app.css', 'text/css; charset=utf-8', 'body{color:red}'],
    ['assets/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
    ['assets/img/logo.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['data.json', 'application/json; charset=utf-8', '{"ok":true}'],
  ])('serves the nested asset %s as %s', async (path, contentType, content) => {
    const response = await rawGet(previewOf(ok, path));

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toBe(content);
  });

  it('serves binary files byte for byte with their length', async () => {
    const response = await t.unsigned().get(previewOf(ok, 'assets/img/pixel.png')).buffer(true).expect(200);

    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['content-length']).toBe(String(PNG.length));
    expect(Buffer.compare(response.body as Buffer, PNG)).toBe(0);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await t.unsigned().head(previewOf(ok, 'assets/app.css')).expect(200);

    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(response.headers['content-length']).toBe('15');
    expect(response.text ?? '').toBe('');
  });

  it.each<[string, () => string]>([
    ['an unknown version', () => `/preview/${ok.projectId}/${newUlid()}/`],
    ['a failed build\u2019s version id', () => previewOf(failed)],
    ['another project\u2019s version id', () => `/preview/${ok.projectId}/${other.versionId}/`],
    ['a version under another project', () => `/preview/${other.projectId}/${ok.versionId}/index.html`],
    ['an unknown project', () => `/preview/00000000-0000-4000-8000-000000000000/${ok.versionId}/`],
    ['a project id that is not a UUID', () => `/preview/not-a-uuid/${ok.versionId}/`],
    ['a version id that is not a ULID', () => `/preview/${ok.projectId}/not-a-ulid/`],
    ['a missing file', () => previewOf(ok, 'nope.html')],
    ['a folder without its slash', () => previewOf(ok, 'assets')],
    ['a dot-file', () => previewOf(ok, '.env')],
  ])('answers 404 problem+json for %s', async (_what, path) => {
    const response = await t.unsigned().get(path()).expect(404);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'not_found' });
  });

  it.each<[string, (b: Built) => string]>([
    ['a lower-case version id', (b) => `/preview/${b.projectId}/${b.versionId.toLowerCase()}/assets/app.css`],
    ['an upper-case project id', (b) => `/preview/${b.projectId.toUpperCase()}/${b.versionId}/assets/app.css`],
    ['both ids in mixed case', (b) => `/preview/${mixedCase(b.projectId)}/${mixedCase(b.versionId)}/assets/app.css`],
  ])('serves the same version for %s: UUIDs and ULIDs are case-insensitive', async (_what, path) => {
    const response = await t.unsigned().get(path(ok)).expect(200);

    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(response.text).toBe('body{color:red}');
  });

  it('still answers 404 for another project’s version spelled in another case', async () => {
    const response = await t
      .unsigned()
      .get(`/preview/${ok.projectId.toUpperCase()}/${other.versionId.toLowerCase()}/`)
      .expect(404);

    expect(response.body).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('refuses methods other than GET and HEAD', async () => {
    await t.unsigned().post(previewOf(ok, 'index.html')).send({}).expect(404);
    await t.unsigned().delete(previewOf(ok, 'index.html')).expect(404);
    await t.unsigned().put(previewOf(ok, 'index.html')).send({}).expect(404);
  });

  const up = '../'.repeat(8);
  it.each([
    ['../', `${up}etc/passwd`],
    ['../ to the project source', '../../source/secret.txt'],
    ['%2e%2e%2f', `${'%2e%2e%2f'.repeat(8)}etc%2fpasswd`],
    ['%2E%2E%2F', `${'%2E%2E%2F'.repeat(8)}etc%2Fpasswd`],
    ['..%2f', `${'..%2f'.repeat(8)}etc%2fpasswd`],
    ['%2e%2e/', `${'%2e%2e/'.repeat(8)}etc/passwd`],
    ['.%2e/', `${'.%2e/'.repeat(8)}etc/passwd`],
    ['double-encoded ..%252f', `${'..%252f'.repeat(8)}etc%252fpasswd`],
    ['backslashes', `${'..\\'.repeat(8)}etc\\passwd`],
    ['encoded backslashes', `${'..%5c'.repeat(8)}etc%5cpasswd`],
    ['an absolute path', '/etc/passwd'],
    ['an encoded absolute path', '%2fetc%2fpasswd'],
    ['a NUL byte', 'index.html%00/../../../../../../../etc/passwd'],
    ['a symlink to /etc/passwd planted in the output', 'leak.html'],
    ['a symlinked folder planted in the output', 'assets/etc/passwd'],
    ['./ segments', './././index.html'],
  ])('never serves a file outside the output folder: %s', async (_what, path) => {
    const response = await rawGet(previewOf(ok, path));

    expect([400, 404]).toContain(response.status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('root:');
  });

  it('never serves through a dot-dot before the ids', async () => {
    const response = await rawGet(`/preview/${ok.projectId}/${ok.versionId}/../${other.versionId}/index.html`);

    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain(other.projectId);
  });

  it('refuses an output folder replaced by a symlink to outside', async () => {
    const hijacked = await build('A site whose output becomes a link');
    await rename(outputOf(hijacked), `${outputOf(hijacked)}.moved`);
    await symlink('/etc', outputOf(hijacked));

    for (const path of ['passwd', '']) {
      const response = await rawGet(previewOf(hijacked, path));
      expect(response.status).toBe(404);
      expect(response.body).not.toContain('root:');
    }
    await mkdir(join(outputOf(other), 'empty'));
    await t.unsigned().get(previewOf(other, 'empty/')).expect(404);
  });
  it.each([
    ['a FIFO', 'fifo.txt'],
    ['a hard link to a file outside the output', 'hard-link.html'],
    ...(IS_ROOT ? [['a character device', 'null.html']] : []),
  ])('serves only regular files: %s planted after publishing is a 404', async (_what, path) => {
    const response = await rawGet(previewOf(ok, path));

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('root:');
  });

  it('keeps answering creates and previews while forty requests ask for a FIFO', async () => {
    const fifos = Array.from({ length: 40 }, () => rawGet(previewOf(ok, 'fifo.txt')));
    const [create, preview, ...answers] = await Promise.all([
      t.http().post(CREATE_PATH).send(createBody()),
      rawGet(previewOf(ok, 'assets/app.css')),
      ...fifos,
    ]);

    expect(create.status).toBe(201);
    expect(preview).toMatchObject({ status: 200, body: 'body{color:red}' });
    expect(answers.map((answer) => answer.status)).toEqual(fifos.map(() => 404));
  });

  it.each([
    ['bytes=0-3', 'body', 'bytes 0-3/15'],
    ['bytes=5-', 'color:red}', 'bytes 5-14/15'],
    ['bytes=-4', 'red}', 'bytes 11-14/15'],
    ['bytes=10-99', ':red}', 'bytes 10-14/15'],
  ])('answers Range: %s with 206 and that part', async (range, part, contentRange) => {
    const response = await t.unsigned().get(previewOf(ok, 'assets/app.css')).set('Range', range).expect(206);

    expect(response.text).toBe(part);
    expect(response.headers['content-range']).toBe(contentRange);
    expect(response.headers['content-length']).toBe(String(part.length));
    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it.each([
    ['several ranges', 'bytes=0-1,5-6'],
    ['a unit other than bytes', 'items=0-1'],
    ['a header that is not a range', 'bytes=abc'],
  ])('serves the whole file for %s', async (_what, range) => {
    const response = await t.unsigned().get(previewOf(ok, 'assets/app.css')).set('Range', range).expect(200);

    expect(response.text).toBe('body{color:red}');
    expect(response.headers['content-range']).toBeUndefined();
  });

  it('answers a range past the end with 416 problem+json and the file size', async () => {
    const response = await t.unsigned().get(previewOf(ok, 'assets/app.css')).set('Range', 'bytes=100-200').expect(416);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['content-range']).toBe('bytes */15');
    expect(response.body).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
  });

  it(
    'closes the connection of a client that stops reading a large file, and closes the file',
    async () => {
      // Far more than the socket buffers of both ends hold, so the server's writes stall.
      const big = join(outputOf(ok), 'big.bin');
      await writeFile(big, Buffer.alloc(256 * 1024 * 1024));
      const openFiles = async () => {
        const links = await Promise.all(
          (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
        );
        return links.filter((target) => target === big).length;
      };
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      const startedAt = Date.now();
      socket.write(`GET ${previewOf(ok, 'big.bin')} HTTP/1.1\r\nHost: x\r\n\r\n`);
      // A paused socket reads nothing more, the server's close included: the server is watched instead.
      socket.once('data', () => socket.pause());
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await openFiles()).toBe(1);

      while ((await openFiles()) > 0 && Date.now() - startedAt < 2 * SOCKET_IDLE_TIMEOUT_MS + 5000) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const closedAfterMs = Date.now() - startedAt;
      // Read again, the socket gets what was still on its way, then the server's close.
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.resume();
      await closed;

      expect(await openFiles()).toBe(0);
      expect(closedAfterMs).toBeGreaterThanOrEqual(SOCKET_IDLE_TIMEOUT_MS);
      expect(closedAfterMs).toBeLessThan(2 * SOCKET_IDLE_TIMEOUT_MS + 5000);
    },
    2 * SOCKET_IDLE_TIMEOUT_MS + 30_000,
  );
});
