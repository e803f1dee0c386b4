import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import {
  BuildFollowEvent,
  BuildResponse,
  createWorkerClient,
  WorkerApiError,
  WorkerClient,
} from '../../src/client/worker-client';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = resolve(__dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const run = promisify(execFile);

/** What each try of a request got: its Idempotency-Key and the status, or the network error. */
interface Try {
  path: string;
  idempotencyKey?: string;
  outcome: number | string;
}

/** The global fetch, with every try recorded. */
function recordingFetch(tries: Try[], fetchImpl: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const idempotencyKey = (init?.headers as Record<string, string> | undefined)?.['Idempotency-Key'];
    const record: Try = { path: url.pathname, ...(idempotencyKey && { idempotencyKey }), outcome: 'pending' };
    tries.push(record);
    try {
      const response = await fetchImpl(input, init);
      record.outcome = response.status;
      return response;
    } catch (error) {
      record.outcome = `network: ${(error as Error).message}`;
      throw error;
    }
  };
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return t.app.getUrl();
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

async function projectsOf(t: TestApp, userId: string): Promise<string[]> {
  const rows = await t.db.query<{ id: string }>(`SELECT id FROM projects WHERE owner_id = $1`, [userId]);
  return rows.map((row) => row.id);
}

async function follow(worker: WorkerClient, buildId: string, userId: string): Promise<BuildResponse[]> {
  const seen: BuildResponse[] = [];
  for await (const build of worker.followBuild(buildId, { userId })) seen.push(build);
  return seen;
}

/** What following a build may show, depending on how far it got before the stream opened: each status once. */
const PATHS_TO_SUCCESS = [['queued', 'running', 'succeeded'], ['running', 'succeeded'], ['succeeded']];

/** Fast retries, so a test waits for the service rather than for backoff. */
const QUICK_RETRIES = { attempts: 100, minDelayMs: 20, maxDelayMs: 100 };

describe('the typed client (src/client) against the real app', () => {
  describe('with a build worker', () => {
    let t: TestApp;
    let worker: WorkerClient;

    beforeAll(async () => {
      t = await startTestApp({ roles: ['api', 'worker'] });
      worker = createWorkerClient({ baseUrl: await listen(t), secret: t.secret });
    });
    afterAll(() => t?.close());

    it('creates, follows the build to the end, reads, updates, follows again and deletes', async () => {
      const userId = randomUUID();
      const created = await worker.createPreview({ userId, prompt: 'A todo app', framework: 'vue', name: 'Todos' });
      expect(created).toMatchObject({
        success: true,
        status: 'queued',
        idSource: 'server',
        createdBy: 'worker-service',
      });

      const first = await follow(worker, created.buildId, userId);
      expect(PATHS_TO_SUCCESS).toContainEqual(first.map((build) => build.status));
      expect(first.at(-1)).toMatchObject({ buildId: created.buildId, status: 'succeeded', isInitialBuild: true });
      expect(await worker.getBuild(created.buildId, { userId })).toEqual(first.at(-1));

      const project = await worker.getProject(created.projectId, { userId });
      expect(project).toMatchObject({
        projectId: created.projectId,
        ownerId: userId,
        name: 'Todos',
        framework: 'vue',
        buildStatus: 'ready',
        currentVersionId: created.versionId,
        previewUrl: `/preview/${created.projectId}/${created.versionId}/`,
      });
      expect(await worker.listProjects({ userId, limit: 10 })).toEqual({ items: [project] });
      const { items: versions } = await worker.getVersions(created.projectId, { userId });
      expect(versions.map((version) => version.versionId)).toEqual([created.versionId]);

      const updated = await worker.updateProject({ userId, projectId: created.projectId, prompt: 'Add dark mode' });
      expect(updated).toMatchObject({ success: true, projectId: created.projectId, status: 'queued' });
      const events: BuildFollowEvent[] = [];
      for await (const event of worker.followBuild(updated.buildId, { userId, logs: true })) events.push(event);
      const second = events.flatMap((event) => (event.type === 'status' ? [event.build] : []));
      expect(PATHS_TO_SUCCESS).toContainEqual(second.map((build) => build.status));
      expect(second.at(-1)).toMatchObject({ buildId: updated.buildId, status: 'succeeded', isInitialBuild: false });
      expect(events.at(-1)!.type).toBe('status');
      const streamed = events.flatMap((event) => (event.type === 'log' ? event.lines : []));
      const logs = await worker.getBuildLogs(updated.buildId, { userId });
      expect(streamed).toEqual(logs.items);
      expect(logs.items.map((line) => line.line)).toContainEqual(
        expect.stringMatching(/^writing the vue starter: \d+ files$/),
      );
      expect(logs.droppedLines).toBe(0);
      const after = await worker.getVersions(created.projectId, { userId });
      expect(after.items.map((version) => version.versionId)).toEqual([updated.versionId, created.versionId]);

      const rolledBack = await worker.setCurrentVersion(created.projectId, { userId, versionId: created.versionId });
      expect(rolledBack).toMatchObject({
        currentVersionId: created.versionId,
        currentBuildId: updated.buildId,
        livePreviewUrl: `/preview/${created.projectId}/`,
      });
      expect(await worker.getProject(created.projectId, { userId })).toEqual(rolledBack);

      const balance = await worker.getBalance(userId);
      expect(balance.userId).toBe(userId);
      expect(await worker.grant(userId, { seconds: 60, reason: 'e2e' })).toEqual({
        ...balance,
        secondsRemaining: balance.secondsRemaining + 60,
      });

      await worker.deleteProject(created.projectId, { userId });
      expect(await projectsOf(t, userId)).toEqual([]);
      const gone = await worker.getProject(created.projectId, { userId }).catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(WorkerApiError);
      expect(gone).toMatchObject({
        status: 404,
        code: 'project_not_found',
        type: 'urn:sheen:problem:project_not_found',
      });
    }, 60_000);
  });

  describe('API only (builds stay queued)', () => {
    let t: TestApp;
    let baseUrl: string;
    let worker: WorkerClient;

    beforeAll(async () => {
      t = await startTestApp();
      baseUrl = await listen(t);
      worker = createWorkerClient({ baseUrl, secret: t.secret });
    });
    afterAll(() => t?.close());

    it('answers errors as WorkerApiError with the problem+json fields', async () => {
      const userId = randomUUID();
      const invalid = await worker.createPreview({ userId, prompt: '' }).catch((error: unknown) => error);
      expect(invalid).toBeInstanceOf(WorkerApiError);
      expect(invalid).toMatchObject({
        status: 400,
        code: 'validation_failed',
        errors: [{ field: 'prompt', message: expect.stringContaining('prompt') }],
      });

      const created = await worker.createPreview({ userId, prompt: 'A todo app' });
      const busy = await worker
        .updateProject({ userId, projectId: created.projectId, prompt: 'More' })
        .catch((error: unknown) => error);
      expect(busy).toMatchObject({ status: 409, code: 'build_in_progress', buildId: created.buildId });

      const reused = await worker
        .createPreview({ userId, prompt: 'Another' }, { idempotencyKey: 'e2e-key-1' })
        .then(() => worker.createPreview({ userId, prompt: 'Yet another' }, { idempotencyKey: 'e2e-key-1' }))
        .catch((error: unknown) => error);
      expect(reused).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    });

    it('replays the first answer for a create sent again with its Idempotency-Key', async () => {
      const userId = randomUUID();
      const first = await worker.createPreview({ userId, prompt: 'A todo app' }, { idempotencyKey: 'form-submit-7' });
      const again = await worker.createPreview({ userId, prompt: 'A todo app' }, { idempotencyKey: 'form-submit-7' });
      expect(again).toEqual(first);
      expect(await projectsOf(t, userId)).toEqual([first.projectId]);
    });

    it('is refused with 401 unauthorized under a wrong secret, and does not retry it', async () => {
      const tries: Try[] = [];
      const stranger = createWorkerClient({ baseUrl, secret: 'not-the-secret', fetch: recordingFetch(tries) });
      await expect(stranger.getBalance(randomUUID())).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
      expect(tries.map((attempt) => attempt.outcome)).toEqual([401]);
    });

    it('retries a create whose answer was lost with the same key: the first answer comes back, one project', async () => {
      const userId = randomUUID();
      const tries: Try[] = [];
      let lost: unknown;
      // The service creates the project and answers; the answer never arrives (a dropped connection).
      const losingFirstAnswer: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (lost !== undefined) return response;
        lost = await response.json();
        throw new TypeError('fetch failed');
      };
      const flaky = createWorkerClient({
        baseUrl,
        secret: t.secret,
        fetch: recordingFetch(tries, losingFirstAnswer),
        retry: QUICK_RETRIES,
      });

      const created = await flaky.createPreview({ userId, prompt: 'A todo app' });

      expect(created).toEqual(lost);
      expect(tries.map((attempt) => attempt.outcome)).toEqual(['network: fetch failed', 201]);
      expect(tries[1].idempotencyKey).toBe(tries[0].idempotencyKey);
      expect(await projectsOf(t, userId)).toEqual([created.projectId]);
    });

    it('retries while the service cannot be reached, and creates once it can', async () => {
      const proxy = await TcpProxy.to(baseUrl);
      try {
        await proxy.cut();
        const userId = randomUUID();
        const tries: Try[] = [];
        const through = createWorkerClient({
          baseUrl: new URL(proxy.rewrite(baseUrl)).origin,
          secret: t.secret,
          fetch: recordingFetch(tries),
          retry: QUICK_RETRIES,
        });

        const creating = through.createPreview({ userId, prompt: 'A todo app' });
        await until(
          'a refused try',
          () => tries.some((attempt) => String(attempt.outcome).startsWith('network')),
          5_000,
        );
        await proxy.open();
        const created = await creating;

        expect(tries.at(-1)!.outcome).toBe(201);
        expect(new Set(tries.map((attempt) => attempt.idempotencyKey)).size).toBe(1);
        expect(await projectsOf(t, userId)).toEqual([created.projectId]);
      } finally {
        await proxy.cut();
      }
    });
  });

  describe('while the database is unreachable for a moment', () => {
    it('retries 503 database_unavailable with the same Idempotency-Key until it is back: one project', async () => {
      const db = await createTestDatabase();
      const proxy = await TcpProxy.to(db.url);
      const t = await startTestApp({ database: db, databaseUrl: proxy.rewrite(db.url) });
      try {
        const tries: Try[] = [];
        const worker = createWorkerClient({
          baseUrl: await listen(t),
          secret: t.secret,
          fetch: recordingFetch(tries),
          retry: QUICK_RETRIES,
        });
        const userId = randomUUID();
        await proxy.cut();

        const creating = worker.createPreview({ userId, prompt: 'A todo app' });
        await until('a 503', () => tries.some((attempt) => attempt.outcome === 503), 10_000);
        expect(await db.query(`SELECT 1 FROM projects`)).toEqual([]);
        await proxy.open();
        const created = await creating;

        expect(tries[0].outcome).toBe(503);
        expect(tries.at(-1)!.outcome).toBe(201);
        expect(tries.every((attempt) => attempt.outcome === 503 || attempt === tries.at(-1))).toBe(true);
        expect(new Set(tries.map((attempt) => attempt.idempotencyKey)).size).toBe(1);
        expect(tries[0].idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
        const rows = await db.query<{ id: string }>(`SELECT id FROM projects WHERE owner_id = $1`, [userId]);
        expect(rows.map((row) => row.id)).toEqual([created.projectId]);
      } finally {
        await t.close();
        await proxy.cut();
        await db.drop();
      }
    }, 30_000);
  });

  describe('as built by `npm run build` (dist/client)', () => {
    let t: TestApp;
    let out: string;

    beforeAll(async () => {
      t = await startTestApp();
      out = await mkdtemp(join(tmpdir(), 'sheen-client-'));
      // The build's client step, into a directory with no node_modules anywhere above it.
      await run(NODE, ['-r', 'ts-node/register/transpile-only', 'scripts/build-client.ts', out], { cwd: ROOT });
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      if (out) await rm(out, { recursive: true, force: true });
    });

    it('loads only its own files (no Nest, no package) and creates a project, signed', async () => {
      const baseUrl = await listen(t);
      const userId = randomUUID();
      const script = `
        const { createWorkerClient } = require('./worker-client.js');
        const loaded = Object.keys(require.cache);
        createWorkerClient({ baseUrl: process.env.BASE_URL, secret: process.env.SECRET })
          .createPreview({ userId: process.env.USER_ID, prompt: 'From the built client' })
          .then((created) => process.stdout.write(JSON.stringify({ loaded, created })));`;
      const { stdout } = await run(NODE, ['-e', script], {
        cwd: out,
        env: { PATH: process.env.PATH, NODE_PATH: '', BASE_URL: baseUrl, SECRET: t.secret, USER_ID: userId },
      });
      const { loaded, created } = JSON.parse(stdout) as { loaded: string[]; created: { projectId: string } };

      expect(loaded.map((file) => file.replace(`${out}/`, '')).sort()).toEqual([
        'build-events-follower.js',
        'request-signer.js',
        'retry-policy.js',
        'server-sent-events.js',
        'webhook-verifier.js',
        'worker-api.error.js',
        'worker-client.js',
      ]);
      expect(await projectsOf(t, userId)).toEqual([created.projectId]);
    });

    it('verifies a webhook the standardwebhooks package signed, as a NextJS route handler would, from its own files', async () => {
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      const [id, at] = ['01JDRZ9A7B2K4N6Q8S0U2W4Y6A', new Date()];
      const body = JSON.stringify({
        type: 'project.deleted',
        timestamp: at.toISOString(),
        data: { userId: randomUUID(), projectId: randomUUID() },
      });
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, at, body),
      };
      const script = `
        const { verifyWebhook } = require('./worker-client.js');
        verifyWebhook(new Headers(JSON.parse(process.env.HEADERS)), process.env.BODY, process.env.SECRETS.split(','))
          .then((event) => process.stdout.write(JSON.stringify(event)));`;
      const { stdout } = await run(NODE, ['-e', script], {
        cwd: out,
        env: { PATH: process.env.PATH, NODE_PATH: '', HEADERS: JSON.stringify(headers), BODY: body, SECRETS: secret },
      });

      expect(JSON.parse(stdout)).toEqual({ ...(JSON.parse(body) as object), id });
    });

    it('comes with declarations that need nothing outside it', async () => {
      const files = await readdir(out, { recursive: true });
      expect(files).toEqual(
        expect.arrayContaining([
          'worker-client.js',
          'worker-client.d.ts',
          join('types', 'project-requests', 'dto', 'create-preview.request.d.ts'),
        ]),
      );
      expect(files.filter((file) => file.startsWith('types') && file.endsWith('.js'))).toEqual([]);
    });
  });
});
