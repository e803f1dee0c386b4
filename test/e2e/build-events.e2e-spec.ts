import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_STATUS_LISTENER_NAME, BuildStatusListener } from '../../src/builds/build-status-events.listener';
import { HEARTBEAT_INTERVAL_MS } from '../../src/builds/build-status-events.service';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { EventStream, signedGet } from '../support/sse';
import { TEST_SECRET } from '../support/signing';
import { TcpProxy } from '../support/tcp-proxy';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

interface Build {
  buildId: string;
  status: string;
  error?: string;
}

const UNKNOWN_BUILD_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';
const UNFINISHED = ['queued', 'running'];

const eventsPath = (buildId: string, userId: string) => `/v1/builds/${buildId}/events?userId=${userId}`;

/** Serves on a real port: the streams are read with fetch, as a browser reads them. */
async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return t.app.getUrl();
}

/** Each create signed at a second of its own: the same body is sent again and again, each a request of its own. */
async function createBuild(t: TestApp, userId: string, prompt: string): Promise<string> {
  const { body } = await t
    .http({ at: uniqueSecond() })
    .post(CREATE_PATH)
    .send(createBody({ userId, prompt }))
    .expect(201);
  return (body as { buildId: string }).buildId;
}

/** The `status` events' statuses; `log` events come between them (test/e2e/build-logs.e2e-spec.ts). */
const statusesOf = (stream: EventStream) => stream.dataOf<Build>('status').map((build) => build.status);

/** Statuses a stream may show for a build that ends with `final`: a tail of the path there, each once. */
function expectPathTo(final: string, statuses: string[]): void {
  const path = [...UNFINISHED, final];
  expect(path.slice(path.length - statuses.length)).toEqual(statuses);
}

async function listenerBackends(t: TestApp): Promise<number[]> {
  const rows = await t.db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
    [BUILD_STATUS_LISTENER_NAME],
  );
  return rows.map((row) => row.pid);
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /v1/builds/:buildId/events, with the worker in the same process', () => {
  let t: TestApp;
  let baseUrl: string;
  let gates: string;
  const userId = randomUUID();
  const gated = new Set<string>();

  /** Lets a build started with the prompt `gated` finish. */
  const openGate = (buildId: string) => writeFile(join(gates, buildId), '');
  const open = (buildId: string) => EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
  const listener = () => t.app.get(BuildStatusListener);

  beforeAll(async () => {
    gates = await mkdtemp(join(tmpdir(), 'sheen-build-gates-'));
    // mkdtemp makes it 0700; the sandboxed build runs as another user and must read it.
    await chmod(gates, 0o755);
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        // `gated` runs until the test opens its gate (a file named after the build), so the test
        // decides when it finishes; `fail` fails.
        BUILD_COMMAND: `case "$PROMPT" in
          fail) echo "it broke" >&2; exit 3 ;;
          gated) until [ -e "${gates}/$BUILD_ID" ]; do sleep 0.05; done ;;
        esac
        echo hi > "$OUTPUT_DIR/index.html"`,
        // The sandbox shows the gates read-only: enough to see one open.
        BUILD_READ_ONLY_PATHS: gates,
        BUILD_MAX_ATTEMPTS: '1',
        AI_TIME_WELCOME_SECONDS: '600',
        // The same prompt is sent again and again on purpose.
        DEDUPE_WINDOW_MS: '0',
      },
    });
    baseUrl = await listen(t);
  });
  afterAll(async () => {
    // The worker runs one build at a time: none may be left waiting for its gate.
    await Promise.all([...gated].map(openGate));
    await t?.close();
    await rm(gates, { recursive: true, force: true });
  });

  async function createGated(): Promise<string> {
    const buildId = await createBuild(t, userId, 'gated');
    gated.add(buildId);
    return buildId;
  }

  it('streams each status once, in order, from the current one to succeeded, then ends', async () => {
    const buildId = await createGated();
    const stream = await open(buildId);
    try {
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.response.headers.get('cache-control')).toMatch(/\bno-cache\b/);
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      await stream.waitFor('running', () => statusesOf(stream).includes('running'), 10_000);

      await openGate(buildId);
      await stream.endedByServer(10_000);

      const statuses = statusesOf(stream);
      expectPathTo('succeeded', statuses);
      expect(stream.events.every((event) => event.type === 'status' || event.type === 'log')).toBe(true);
      expect(stream.events.at(-1)!.type).toBe('status');
      const { body: read } = await t.http().get(`/v1/builds/${buildId}`).query({ userId }).expect(200);
      expect(stream.data<Build>().at(-1)).toEqual(read);
    } finally {
      stream.close();
    }
  });

  it('ends a failing build with failed and its error', async () => {
    const buildId = await createBuild(t, userId, 'fail');
    const stream = await open(buildId);

    await stream.endedByServer(15_000);

    expectPathTo('failed', statusesOf(stream));
    expect(stream.data<Build>().at(-1)!.error).toContain('it broke');
  });

  it('sends only the final status for a build already finished, and ends', async () => {
    const buildId = await createBuild(t, userId, 'fail');
    await (await open(buildId)).endedByServer(15_000);

    const stream = await open(buildId);
    await stream.endedByServer(5_000);

    expect(statusesOf(stream)).toEqual(['failed']);
  });

  it("answers 404 problem+json, not a stream, for another user's build and an unknown one; 400 malformed; 401 unsigned", async () => {
    const buildId = await createBuild(t, userId, 'fail');

    for (const path of [eventsPath(buildId, randomUUID()), eventsPath(UNKNOWN_BUILD_ID, userId)]) {
      const response = await signedGet(baseUrl, path, t.secret);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ status: 404, code: 'build_not_found' });
    }
    const malformed = await signedGet(baseUrl, eventsPath('not-a-ulid', userId), t.secret);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'validation_failed' });
    const unsigned = await fetch(`${baseUrl}${eventsPath(buildId, userId)}`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'unauthorized' });
    // The subscriptions taken before the ownership check were released; so was the worker's own
    // (it listens for a cancel while the build runs, ADR 035) once the build ended.
    await (await open(buildId)).endedByServer(15_000);
    await until('every subscription released', () => listener().subscriberCount === 0, 5_000);
  });

  it('releases the subscription when the client disconnects mid-stream', async () => {
    const buildId = await createGated();
    const stream = await open(buildId);
    await stream.waitFor('running', () => statusesOf(stream).includes('running'), 10_000);
    // The stream's, and the worker's for the build it runs (it listens for a cancel, ADR 035).
    await until('both subscribed', () => listener().subscriberCount === 2, 5_000);

    stream.close();

    await until("the stream's subscription released", () => listener().subscriberCount === 1, 5_000);
    await openGate(buildId);
  });

  it(
    `sends a keep-alive comment every ${HEARTBEAT_INTERVAL_MS / 1000} s while nothing changes`,
    async () => {
      const buildId = await createGated();
      const stream = await open(buildId);
      try {
        await stream.waitFor(
          'a keep-alive comment',
          () => stream.comments.includes('keep-alive'),
          HEARTBEAT_INTERVAL_MS + 5_000,
        );
      } finally {
        stream.close();
        await openGate(buildId);
      }
    },
    HEARTBEAT_INTERVAL_MS + 15_000,
  );

  it('still delivers the later changes when the LISTEN connection is dropped while a stream is open', async () => {
    const buildId = await createGated();
    const stream = await open(buildId);
    try {
      await stream.waitFor('running', () => statusesOf(stream).includes('running'), 10_000);
      const [dropped] = await listenerBackends(t);
      expect(dropped).toBeDefined();

      await t.db.query(`SELECT pg_terminate_backend($1)`, [dropped]);
      await openGate(buildId);
      await stream.endedByServer(10_000);

      expect(statusesOf(stream).at(-1)).toBe('succeeded');
      expectPathTo('succeeded', statusesOf(stream));
      const backends = await listenerBackends(t);
      expect(backends).toHaveLength(1);
      expect(backends).not.toContain(dropped);
    } finally {
      stream.close();
    }
  });
});

describe('GET /v1/builds/:buildId/events, with the worker in another process', () => {
  let t: TestApp;
  /** The worker process, on the app's database and projects root. */
  let services: ServiceProcesses;

  beforeAll(async () => {
    // HTTP only: nothing in this process runs builds.
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '600' } });
    services = await ServiceProcesses.open('build-events', { on: t });
  });
  afterAll(async () => {
    await services?.close();
    await t?.close();
  });

  it('documents the route as text/event-stream with its problems', async () => {
    const { body: document } = await t.http().get('/docs-json').expect(200);
    const operation = document.paths['/v1/builds/{buildId}/events'].get;

    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/event-stream']);
    expect(operation.responses).toHaveProperty('401');
    expect(operation.responses['404'].description).toContain('build_not_found');
  });

  it('sees running and succeeded written by a worker process, after queued', async () => {
    const baseUrl = await listen(t);
    const userId = randomUUID();
    const buildId = await createBuild(t, userId, 'A todo app');
    const stream = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
    try {
      await stream.waitFor('queued', () => stream.events.length > 0, 5_000);
      expect(statusesOf(stream)).toEqual(['queued']);

      // ts-node transpiles src/ as it boots: on 2 busy cores that alone can take well over 20 s.
      await services.startWorker(
        'worker',
        {
          WORKER_SHARED_SECRET: TEST_SECRET,
          BUILDER: 'command',
          BUILD_COMMAND: 'sleep 0.5; echo hi > "$OUTPUT_DIR/index.html"',
        },
        45_000,
      );
      await stream.endedByServer(20_000);

      expect(statusesOf(stream)).toEqual(['queued', 'running', 'succeeded']);
      // One LISTEN connection per process: this one's for the stream, the worker's for the build it
      // ran (it listens for a cancel, ADR 035).
      expect(await listenerBackends(t)).toHaveLength(2);
    } finally {
      stream.close();
    }
  }, 90_000);
});

describe('GET /v1/builds/:buildId/events, while the database is unreachable', () => {
  it('sends a change made while the LISTEN connection was down once it is back, and never crashes', async () => {
    const db = await createTestDatabase();
    const proxy = await TcpProxy.to(db.url);
    // API only: the status changes are written below, straight to the database, as a worker would.
    const t = await startTestApp({ database: db, databaseUrl: proxy.rewrite(db.url) });
    try {
      const baseUrl = await listen(t);
      const userId = randomUUID();
      const buildId = await createBuild(t, userId, 'A todo app');
      const stream = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
      await stream.waitFor('queued', () => stream.events.length > 0, 5_000);

      await proxy.cut();
      await db.query(
        `UPDATE project_build_metrics SET status = 'running', attempts = 1, started_at = now() WHERE build_id = $1`,
        [buildId],
      );
      const refused = await signedGet(baseUrl, eventsPath(buildId, userId), t.secret);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ code: 'database_unavailable' });
      await proxy.open();

      await stream.waitFor('running', () => statusesOf(stream).includes('running'), 10_000);
      await db.query(
        `UPDATE project_build_metrics SET status = 'succeeded', finished_at = now(), duration_ms = 1 WHERE build_id = $1`,
        [buildId],
      );
      await stream.endedByServer(5_000);
      expect(statusesOf(stream)).toEqual(['queued', 'running', 'succeeded']);
    } finally {
      await t.close();
      await proxy.cut();
      await db.drop();
    }
  });
});
