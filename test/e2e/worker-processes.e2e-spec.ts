import { join } from 'node:path';
import { billingOfBuild } from '../support/build-billing';
import { eventually, exited, isAlive, pidWrittenTo } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcess } from '../support/service-process';
import { ServiceProcesses } from '../support/service-processes';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The worker as the separate process `npm run start:worker` runs, beside an API that only serves
 * HTTP (`start:api`), on one database: killed with SIGKILL mid-build, stopped with SIGTERM.
 */

interface BuildRow {
  status: string;
  attempts: number;
  error: string | null;
}

/** ts-node transpiles src/ as a process boots: on 2 busy cores that alone can take 20 s and more. */
const BOOT_MS = 60_000;

describe('build worker processes', () => {
  let t: TestApp;
  /** The workers, on the app's database and projects root. */
  let services: ServiceProcesses;
  let scratch: string;

  /**
   * A command that, on its first attempt of a build, writes its shell's pid and sleeps (long
   * enough to be killed mid-build), and on any later attempt succeeds at once.
   */
  const command = (): string =>
    `if [ -f "${scratch}/$BUILD_ID.started" ]; then echo done > "$OUTPUT_DIR/index.html"; exit 0; fi; ` +
    `touch "${scratch}/$BUILD_ID.started"; echo $$ > "${scratch}/$BUILD_ID.pid"; exec sleep 60`;

  const env = (overrides: Record<string, string> = {}): Record<string, string> => ({
    BUILDER: 'command',
    // The command notes its attempts and host pid in the test's scratch folder, which a sandbox would hide.
    BUILD_SANDBOX: 'none',
    BUILD_COMMAND: command(),
    BUILD_RETRY_DELAY_MS: '0',
    BUILD_HEARTBEAT_SECONDS: '10',
    ...overrides,
  });

  async function startWorker(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
    return (await services.startWorker('worker', env(overrides), BOOT_MS)).process;
  }

  async function build(buildId: string): Promise<BuildRow> {
    const [row] = await t.db.query<BuildRow>(
      `SELECT status, attempts, error FROM project_build_metrics WHERE build_id = $1`,
      [buildId],
    );
    return row;
  }

  const finished = (buildId: string, timeoutMs: number) =>
    eventually(
      `build ${buildId} finished`,
      async () => {
        const row = await build(buildId);
        return row.status === 'succeeded' || row.status === 'failed' ? row : undefined;
      },
      timeoutMs,
    );

  /** The pid of the build command's shell, once the first attempt has started it. */
  const commandPid = (buildId: string) => pidWrittenTo(join(scratch, `${buildId}.pid`), BOOT_MS);

  async function billingOf(buildId: string) {
    const { session, debits } = await billingOfBuild(t.db, buildId);
    const versions = await t.db.query(`SELECT 1 FROM project_versions WHERE build_id = $1`, [buildId]);
    return { debits: debits.length, session: session.status, versions: versions.length };
  }

  beforeAll(async () => {
    // HTTP only, as `npm run start:api`: it never consumes a build, so every build below is run by
    // a worker process.
    t = await startTestApp({ env: { BUILD_RETRY_DELAY_MS: '0', BUILD_HEARTBEAT_SECONDS: '10' } });
    services = await ServiceProcesses.open('worker-processes', { on: t });
    ({ scratch } = services);
  });
  afterEach(() => services?.killAll());
  afterAll(async () => {
    await services?.close();
    await t?.close();
  });

  async function create(): Promise<string> {
    const { body } = await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    return body.buildId as string;
  }

  it('leaves builds queued while only the API runs, and a worker process started later runs them', async () => {
    const buildId = await create();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await build(buildId)).toMatchObject({ status: 'queued', attempts: 0 });

    await startWorker({ BUILD_COMMAND: 'echo ok > "$OUTPUT_DIR/index.html"' });

    expect(await finished(buildId, 20_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 120_000);

  it('a worker killed with SIGKILL mid-build: its command dies with it, and another worker finishes the build once', async () => {
    const first = await startWorker();
    const buildId = await create();
    const pid = await commandPid(buildId);
    expect(isAlive(pid)).toBe(true);

    first.signal('SIGKILL');
    await first.exited;
    // The command's process group watches its lifeline to the worker and goes with it.
    await exited(pid, 5000);

    await startWorker();
    // The claim lapses after a missed heartbeat (10 s) and the supervisor's next pass (10 s).
    expect(await finished(buildId, 90_000)).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(await billingOf(buildId)).toEqual({ debits: 1, session: 'closed', versions: 1 });
    const [project] = await t.db.query<{ build_status: string }>(
      `SELECT build_status FROM projects WHERE current_build_id = $1`,
      [buildId],
    );
    expect(project.build_status).toBe('ready');
  }, 240_000);

  it('a worker killed on the last attempt: the abandoned build is failed once, with no version', async () => {
    const first = await startWorker({ BUILD_MAX_ATTEMPTS: '1' });
    const buildId = await create();
    await commandPid(buildId);

    first.signal('SIGKILL');
    await first.exited;
    await startWorker({ BUILD_MAX_ATTEMPTS: '1' });

    const outcome = await finished(buildId, 90_000);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/stopped before it finished/);
    expect(await billingOf(buildId)).toEqual({ debits: 1, session: 'closed', versions: 0 });
  }, 240_000);

  it('SIGTERM: the worker exits 0 within its grace period and hands the build back, not failed', async () => {
    const first = await startWorker({ BUILD_SHUTDOWN_GRACE_MS: '500' });
    const buildId = await create();
    const pid = await commandPid(buildId);

    first.signal('SIGTERM');
    expect(await first.exitWithin(15_000)).toEqual({ code: 0, signal: null });
    expect(isAlive(pid)).toBe(false);
    const handedBack = await build(buildId);
    expect(handedBack).toMatchObject({ status: 'running', attempts: 1, error: null });

    await startWorker();
    expect(await finished(buildId, 30_000)).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(await billingOf(buildId)).toEqual({ debits: 1, session: 'closed', versions: 1 });
  }, 180_000);
});
