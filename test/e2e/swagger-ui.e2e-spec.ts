import { existsSync } from 'node:fs';
import { Browser, chromium, Locator, Page, Request } from 'playwright-core';
import { computeSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/http/request-signature';
import { SWAGGER_SECRET_HEADER } from '../../src/http/swagger-request-signing';
import { createAndFinishBuild } from '../support/build-results';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(
    `SKIPPED test/e2e/swagger-ui.e2e-spec.ts: no Chromium at ${CHROMIUM} (apt-get install chromium) to drive Swagger UI.\n`,
  );
}

/** The one documented skip: without a browser there is nothing to drive. */
const describeInChromium = hasChromium ? describe : describe.skip;

describeInChromium('Swagger UI with request signing on (Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let page: Page;

  beforeAll(async () => {
    // With a worker, so a build's preview exists to open from the page.
    t = await startTestApp({ roles: ['api', 'worker'] });
    await t.app.listen(0, '127.0.0.1');
    const address = t.app.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error(`unexpected address ${String(address)}`);
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/docs`);
  });
  afterEach(() => page?.close());

  /** Opens the create operation, edits its example body, runs it, and reads the status the page shows. */
  async function executeCreate(body: Record<string, unknown>): Promise<{ status: string; request: Request }> {
    const operation = page.locator('.opblock-post', { has: page.locator(`[data-path="${CREATE_PATH}"]`) });
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const editor = operation.locator('textarea.body-param__text');
    const example = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...example, ...body }, null, 2));

    const sent = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith(CREATE_PATH));
    await operation.getByRole('button', { name: 'Execute' }).click();
    const request = await sent;
    const status = operation.locator('.live-responses-table tbody .response-col_status');
    await status.waitFor();
    return { status: (await status.textContent())!.trim(), request };
  }

  async function authorize(secret: string): Promise<void> {
    await page.locator('.scheme-container button.authorize').click();
    const dialog: Locator = page.locator('.modal-ux');
    await dialog.getByLabel('Value:').fill(secret);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    // Once applied, the dialog offers to log out instead.
    await dialog.locator('button', { hasText: 'Logout' }).waitFor();
    await dialog.locator('button', { hasText: 'Close' }).click();
  }

  it('authorizes with the secret and runs a create from the page: 201, and the project exists', async () => {
    await authorize(t.secret);
    const body = createBody({ prompt: 'Made from Swagger UI: café 😀' });

    const { status, request } = await executeCreate(body);

    expect(status).toBe('201');
    const rows = await t.db.query(`SELECT owner_id, name FROM projects WHERE owner_id = $1`, [body.userId]);
    expect(rows).toHaveLength(1);

    // What left the browser: signed over the exact bytes sent, and without the secret.
    const headers = await request.allHeaders();
    expect(headers[SWAGGER_SECRET_HEADER.toLowerCase()]).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(t.secret);
    expect(headers[SIGNATURE_HEADER.toLowerCase()]).toBe(
      computeSignature(
        t.secret,
        headers[TIMESTAMP_HEADER.toLowerCase()],
        {
          method: 'POST',
          pathWithQuery: CREATE_PATH,
          body: request.postDataBuffer() ?? '',
          idempotencyKey: headers['idempotency-key'],
        },
        'v2',
      ),
    );
    expect(Math.abs(Number(headers[TIMESTAMP_HEADER.toLowerCase()]) - Date.now() / 1000)).toBeLessThan(60);
  }, 60_000);

  it('without Authorize, the same create from the page is refused with 401 and writes nothing', async () => {
    const body = createBody();

    const { status, request } = await executeCreate(body);

    expect(status).toBe('401');
    expect(await request.headerValue(SIGNATURE_HEADER)).toBeNull();
    expect(await t.db.query(`SELECT 1 FROM projects WHERE owner_id = $1`, [body.userId])).toEqual([]);
  }, 60_000);

  it('with a wrong secret, the page shows 401 and nothing is written', async () => {
    await authorize('not-the-configured-secret-123');
    const body = createBody();

    const { status } = await executeCreate(body);

    expect(status).toBe('401');
    expect(await t.db.query(`SELECT 1 FROM projects WHERE owner_id = $1`, [body.userId])).toEqual([]);
  }, 60_000);

  it('opens a version\u2019s preview file from the page: its path parameter comes filled in (200, the file)', async () => {
    const build = await createAndFinishBuild(t, 'A site to preview from Swagger UI');
    expect(build.finished.status).toBe('succeeded');
    const operation = page.locator('.opblock-get', {
      has: page.locator('[data-path="/preview/{projectId}/{versionId}/{path}"]'),
    });
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const input = (name: string): Locator => operation.locator(`tr[data-param-name="${name}"] input`);
    await input('projectId').fill(build.projectId);
    await input('versionId').fill(build.versionId);
    expect(await input('path').inputValue()).toBe('index.html');

    const sent = page.waitForRequest((request) => request.url().includes('/preview/'));
    await operation.getByRole('button', { name: 'Execute' }).click();
    const request = await sent;
    const status = operation.locator('.live-responses-table tbody .response-col_status');
    await status.waitFor();

    expect(request.url()).toBe(`${base}/preview/${build.projectId}/${build.versionId}/index.html`);
    expect((await status.textContent())!.trim()).toBe('200');
  }, 60_000);
});
