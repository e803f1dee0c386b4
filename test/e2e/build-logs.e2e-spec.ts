import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_LINE_OVERHEAD_BYTES } from '../../src/build-logs/build-logs.config';
import { MAX_LOG_LINE_BYTES } from '../../src/build-worker/attempt-log';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { EventStream, signedGet } from '../support/sse';
import { TEST_SECRET, uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

interface LogLine {
  seq: number;
  attempt: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}
interface LogPage {
  items: LogLine[];
  nextCursor?: number;
  droppedLines: number;
}
interface Build {
  buildId: string;
  projectId: string;
  status: string;
  error?: string;
}

const UNKNOWN_BUILD_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';
const FLOOD_LINES = 700_000;
const FIVE_MIB = 5 * 1024 * 1024;

/**
 * A build command whose prompt says what it prints. `gated` waits for a file named after its build
 * in `gates`, so a test decides when it ends; the values printed by `secret` are the service's
 * WORKER_SHARED_SECRET and its PROJECTS_ROOT, written into the command's text as an operator might.
 */
function buildCommand(gates: string, projectsRoot: string): string {
  return `case "$PROMPT" in
    lines) echo "out 1"; sleep 0.1; echo "err 1" >&2; sleep 0.1; echo "out 2" ;;
    fail) echo "trying"; echo "it broke" >&2; exit 3 ;;
    flaky) if [ -f "attempted-$BUILD_ID" ]; then echo "second try"; else touch "attempted-$BUILD_ID"; echo "first try" >&2; exit 1; fi ;;
    flood) seq 1 ${FLOOD_LINES}; head -c ${FIVE_MIB} /dev/zero | tr '\\0' x ;;
    secret) echo "the secret is ${TEST_SECRET}"; pwd; echo "root: ${projectsRoot}" >&2 ;;
    secretfail) echo "token ${TEST_SECRET} refused" >&2; exit 2 ;;
    gated) echo "before the gate"; until [ -e "${gates}/$BUILD_ID" ]; do sleep 0.05; done; echo "after the gate" ;;
  esac
  echo ok > "$OUTPUT_DIR/index.html"`;
}

const logsPath = (buildId: string, userId: string, query = '') => `/v1/builds/${buildId}/logs?userId=${userId}${query}`;
const eventsPath = (buildId: string, userId: string, query = '') =>
  `/v1/builds/${buildId}/events?userId=${userId}${query}`;

async function createBuild(t: TestApp, userId: string, prompt: string): Promise<Build> {
  const { body } = await t
    .http({ at: uniqueSecond() })
    .post(CREATE_PATH)
    .send(createBody({ userId, prompt }))
    .expect(201);
  return body as Build;
}

function finished(t: TestApp, buildId: string, userId: string, timeoutMs = 30_000): Promise<Build> {
  return eventually(
    `build ${buildId} finished`,
    async () => {
      const { body } = await t.http().get(`/v1/builds/${buildId}`).query({ userId }).expect(200);
      const build = body as Build;
      return build.status === 'succeeded' || build.status === 'failed' ? build : undefined;
    },
    timeoutMs,
  );
}

/** The whole stored log, page by page. */
async function wholeLog(t: TestApp, buildId: string, userId: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let after = 0;
  for (;;) {
    const { body } = await t
      .http()
      .get(logsPath(buildId, userId, `&after=${after}&limit=1000`))
      .expect(200);
    const page = body as LogPage;
    lines.push(...page.items);
    if (page.nextCursor === undefined) return lines;
    after = page.nextCursor;
  }
}

const printed = (lines: LogLine[]) => lines.filter((line) => line.stream !== 'system');
const logLinesOf = (stream: EventStream) => stream.dataOf<{ lines: LogLine[] }>('log').flatMap((batch) => batch.lines);
const statusesOf = (stream: EventStream) => stream.dataOf<Build>('status').map((build) => build.status);

describe("a build's log, with the worker in the same process", () => {
  let t: TestApp;
  let root: string;
  let gates: string;
  let baseUrl: string;
  const userId = randomUUID();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sheen-build-logs-projects-'));
    gates = await mkdtemp(join(tmpdir(), 'sheen-build-logs-gates-'));
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        PROJECTS_ROOT: root,
        BUILDER: 'command',
        // The command prints the real projects root (pwd); the sandbox would show its own paths.
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: buildCommand(gates, root),
        BUILD_MAX_ATTEMPTS: '2',
        BUILD_RETRY_DELAY_MS: '0',
        AI_TIME_WELCOME_SECONDS: '3600',
        DEDUPE_WINDOW_MS: '0',
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
  });
  afterAll(async () => {
    await t?.close();
    await rm(root, { recursive: true, force: true });
    await rm(gates, { recursive: true, force: true });
  });

  it('returns what a succeeded build printed, in order, with streams, attempt and times, page by page', async () => {
    const started = Date.now();
    const { buildId } = await createBuild(t, userId, 'lines');
    expect((await finished(t, buildId, userId)).status).toBe('succeeded');

    const lines = await wholeLog(t, buildId, userId);

    expect(printed(lines).map(({ stream, line }) => `${stream}: ${line}`)).toEqual([
      'stdout: out 1',
      'stderr: err 1',
      'stdout: out 2',
    ]);
    expect(lines[0]).toMatchObject({ seq: 1, stream: 'system', line: 'attempt 1 started' });
    expect(lines.at(-1)).toMatchObject({ stream: 'system', line: 'the build command exited with code 0' });
    expect(lines.every((line) => line.attempt === 1)).toBe(true);
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_line, index) => index + 1));
    const times = lines.map((line) => Date.parse(line.at));
    expect(times.every((time, index) => time >= started && time <= Date.now() && time >= (times[index - 1] ?? 0))).toBe(
      true,
    );

    const { body: first } = await t
      .http()
      .get(logsPath(buildId, userId, '&limit=2'))
      .expect(200);
    expect(first).toEqual({ items: lines.slice(0, 2), nextCursor: 2, droppedLines: 0 });
    const { body: second } = await t
      .http()
      .get(logsPath(buildId, userId, '&after=2&limit=2'))
      .expect(200);
    expect((second as LogPage).items).toEqual(lines.slice(2, 4));
  });

  it("keeps a failed build's log, each attempt's lines under its number", async () => {
    const { buildId } = await createBuild(t, userId, 'fail');
    expect((await finished(t, buildId, userId)).status).toBe('failed');

    const lines = await wholeLog(t, buildId, userId);

    expect(printed(lines).map(({ attempt, stream, line }) => `${attempt} ${stream}: ${line}`)).toEqual([
      '1 stdout: trying',
      '1 stderr: it broke',
      '2 stdout: trying',
      '2 stderr: it broke',
    ]);
    expect(lines.filter((line) => line.stream === 'system').map(({ attempt, line }) => `${attempt} ${line}`)).toEqual([
      '1 attempt 1 started',
      '1 running BUILD_COMMAND',
      '1 the build command exited with code 3',
      '1 build failed: it broke',
      '2 attempt 2 started',
      '2 running BUILD_COMMAND',
      '2 the build command exited with code 3',
      '2 build failed: it broke',
    ]);
  });

  it("keeps a retried build's first attempt beside its second", async () => {
    const { buildId } = await createBuild(t, userId, 'flaky');
    expect((await finished(t, buildId, userId)).status).toBe('succeeded');

    const lines = printed(await wholeLog(t, buildId, userId));

    expect(lines.map(({ attempt, stream, line }) => `${attempt} ${stream}: ${line}`)).toEqual([
      '1 stderr: first try',
      '2 stdout: second try',
    ]);
  });

  it('keeps the newest lines of a build that prints over 9 MiB within the bound, saying how many were dropped', async () => {
    const { buildId } = await createBuild(t, userId, 'flood');
    expect((await finished(t, buildId, userId, 90_000)).status).toBe('succeeded');

    const [stored] = await t.db.query<{ lines: string; bytes: string; counted: string; dropped: string }>(
      `SELECT count(*) AS lines, sum(octet_length(line) + $2) AS bytes, l.stored_bytes AS counted, l.dropped_lines AS dropped
         FROM build_log_lines JOIN build_logs l USING (build_id) WHERE build_id = $1
        GROUP BY l.stored_bytes, l.dropped_lines`,
      [buildId, LOG_LINE_OVERHEAD_BYTES],
    );
    expect(Number(stored.bytes)).toBeLessThanOrEqual(1024 * 1024);
    expect(stored.counted).toBe(stored.bytes);
    const lines = await wholeLog(t, buildId, userId);
    expect(lines).toHaveLength(Number(stored.lines));

    const { body: page } = await t.http().get(logsPath(buildId, userId)).expect(200);
    const dropped = (page as LogPage).droppedLines;
    expect(String(dropped)).toBe(stored.dropped);
    expect(dropped).toBeGreaterThan(FLOOD_LINES - (1024 * 1024) / (LOG_LINE_OVERHEAD_BYTES + 1));
    // The marker stands where the dropped lines were: first.
    expect(lines[0]).toMatchObject({
      stream: 'system',
      line: `[${dropped} earlier lines dropped: a build keeps the newest 1048576 bytes of its log]`,
    });
    // The line without a line break ended when stdout closed, before the command's exit was noted.
    expect(lines.slice(-2).map((line) => line.stream)).toEqual(['stdout', 'system']);
    const stdout = lines.filter((line) => line.stream === 'stdout').map((line) => line.line);
    expect(stdout.at(-1)).toBe(`${'x'.repeat(MAX_LOG_LINE_BYTES)} … [${FIVE_MIB - MAX_LOG_LINE_BYTES} more bytes cut]`);
    const numbers = stdout.slice(0, -1).map(Number);
    expect(numbers.at(-1)).toBe(FLOOD_LINES);
    // The newest lines, none missing between the first kept and the last.
    expect(numbers).toEqual(numbers.map((_n, index) => FLOOD_LINES - numbers.length + 1 + index));
  }, 120_000);

  it("never shows the service's secret or its projects root, in the log, the events or the error", async () => {
    const { buildId } = await createBuild(t, userId, 'secret');
    const stream = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
    await stream.endedByServer(30_000);
    const { buildId: failedId } = await createBuild(t, userId, 'secretfail');
    const failed = await finished(t, failedId, userId);

    const lines = printed(await wholeLog(t, buildId, userId)).map((line) => line.line);
    expect(lines).toEqual(['the secret is ***', '<project>/source', 'root: <projects-root>']);
    const stored = await t.db.query<{ line: string }>(`SELECT line FROM build_log_lines`);
    const everything = [
      JSON.stringify(stored),
      JSON.stringify(stream.events),
      JSON.stringify(failed),
      JSON.stringify(await wholeLog(t, failedId, userId)),
    ].join('\n');
    expect(everything).not.toContain(TEST_SECRET);
    expect(everything).not.toContain(root);
    expect(failed.error).toBe('failed: token *** refused');
  });

  it('streams log lines while the build runs, and the rest before the final status', async () => {
    const { buildId } = await createBuild(t, userId, 'gated');
    const stream = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
    try {
      await stream.waitFor(
        'the line before the gate',
        () => logLinesOf(stream).some((line) => line.line === 'before the gate'),
        15_000,
      );
      expect(statusesOf(stream)).not.toContain('succeeded');

      await writeFile(join(gates, buildId), '');
      await stream.endedByServer(15_000);
    } finally {
      stream.close();
    }

    expect(stream.events.at(-1)!.type).toBe('status');
    expect(statusesOf(stream).at(-1)).toBe('succeeded');
    const streamed = logLinesOf(stream);
    expect(streamed).toEqual(await wholeLog(t, buildId, userId));
    expect(printed(streamed).map((line) => line.line)).toEqual(['before the gate', 'after the gate']);
  });

  it("sends a finished build's log, after `after` only, then its final status, and ends", async () => {
    const { buildId } = await createBuild(t, userId, 'lines');
    await finished(t, buildId, userId);
    const lines = await wholeLog(t, buildId, userId);

    const whole = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
    await whole.endedByServer(10_000);
    const rest = await EventStream.open(baseUrl, eventsPath(buildId, userId, '&after=3'), t.secret);
    await rest.endedByServer(10_000);

    expect(whole.events.map((event) => event.type)).toEqual(['log', 'status']);
    expect(logLinesOf(whole)).toEqual(lines);
    expect(logLinesOf(rest)).toEqual(lines.slice(3));
    expect(statusesOf(rest)).toEqual(['succeeded']);
  });

  it("answers 404 for an unknown or another user's build, 400 for a bad query, 401 unsigned", async () => {
    const { buildId } = await createBuild(t, userId, 'lines');

    for (const path of [logsPath(buildId, randomUUID()), logsPath(UNKNOWN_BUILD_ID, userId)]) {
      const { body } = await t.http().get(path).expect(404);
      expect(body).toMatchObject({ status: 404, code: 'build_not_found' });
    }
    for (const query of ['&after=-1', '&after=1e3', '&limit=0', '&limit=1001', '&limit=ten']) {
      const { body } = await t
        .http()
        .get(logsPath(buildId, userId, query))
        .expect(400);
      expect(body).toMatchObject({ code: 'validation_failed' });
    }
    await t.http().get(logsPath('not-a-ulid', userId)).expect(400);
    await t.http().get(`/v1/builds/${buildId}/logs`).expect(400);
    const events = await signedGet(baseUrl, eventsPath(buildId, userId, '&after=x'), t.secret);
    expect(events.status).toBe(400);
    const { body } = await t.unsigned().get(logsPath(buildId, userId)).expect(401);
    expect(body).toMatchObject({ code: 'unauthorized' });
  });

  it("removes a build's log with its project", async () => {
    const build = await createBuild(t, userId, 'lines');
    await finished(t, build.buildId, userId);
    expect((await wholeLog(t, build.buildId, userId)).length).toBeGreaterThan(0);

    await t.http().delete(`/v1/projects/${build.projectId}`).query({ userId }).expect(204);

    await t.http().get(logsPath(build.buildId, userId)).expect(404);
    const left = await t.db.query(
      `SELECT 1 FROM build_logs WHERE build_id = $1 UNION ALL SELECT 1 FROM build_log_lines WHERE build_id = $1`,
      [build.buildId],
    );
    expect(left).toEqual([]);
  });
});

describe("a build's log events, with the worker in another process", () => {
  let t: TestApp;
  let services: ServiceProcesses;

  beforeAll(async () => {
    // HTTP only: the lines are written by the worker process and announced through the database.
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '600' } });
    services = await ServiceProcesses.open('build-logs', { on: t });
  });
  afterAll(async () => {
    await services?.close();
    await t?.close();
  });

  it('streams the lines a worker process stores while the build runs, and the rest before the final status', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = await t.app.getUrl();
    const userId = randomUUID();
    const { buildId } = await createBuild(t, userId, 'gated');
    const stream = await EventStream.open(baseUrl, eventsPath(buildId, userId), t.secret);
    try {
      await stream.waitFor('queued', () => statusesOf(stream).includes('queued'), 5_000);
      // ts-node transpiles src/ as it boots: on 2 busy cores that alone can take a minute or more.
      await services.startWorker('worker', {
        WORKER_SHARED_SECRET: TEST_SECRET,
        BUILDER: 'command',
        // The gate lives in the test's scratch folder, which the sandbox would hide.
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: buildCommand(services.scratch, services.projectsRoot),
      });
      await stream.waitFor(
        'the line before the gate',
        () => logLinesOf(stream).some((line) => line.line === 'before the gate'),
        20_000,
      );
      expect(statusesOf(stream)).toEqual(['queued', 'running']);

      await writeFile(join(services.scratch, buildId), '');
      await stream.endedByServer(20_000);
    } finally {
      stream.close();
    }

    expect(statusesOf(stream)).toEqual(['queued', 'running', 'succeeded']);
    expect(stream.events.at(-1)!.type).toBe('status');
    expect(printed(logLinesOf(stream)).map((line) => line.line)).toEqual(['before the gate', 'after the gate']);
    expect(logLinesOf(stream)).toEqual(await wholeLog(t, buildId, userId));
  }, 240_000);
});
