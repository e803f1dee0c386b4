import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { billingOfBuild } from '../support/build-billing';
import { eventually, exited, pidWrittenTo } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcess } from '../support/service-process';
import { BOOT_MS, ServiceProcesses } from '../support/service-processes';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Cancels of builds that a worker process runs (`npm run start:worker`), beside an API that only
 * serves HTTP: the worker hears of the cancel through the database, stops the command's whole
 * process group and records nothing; a worker killed mid-build never runs the canceled build again.
 */
interface BuildRow {
  status: string;
  attempts: number;
  duration_ms: number | null;
}

describe('canceling builds that worker processes run', () => {
  let t: TestApp;
  let services: ServiceProcesses;
  let scratch: string;

  /**
   * Notes each attempt; a `long` prompt writes its shell's pid, then a heartbeat every 0.1 s until
   * it is stopped; anything else succeeds at once.
   */
  const command = (): string =>
    `echo x >> "${scratch}/$BUILD_ID.ran"; case "$PROMPT" in *long*) echo $$ > "${scratch}/$BUILD_ID.pid"; ` +
    `while :; do date +%s%N > "${scratch}/$BUILD_ID.beat"; sleep 0.1; done;; esac; echo ok > "$OUTPUT_DIR/index.html"`;

  const startWorker = async (name: string): Promise<ServiceProcess> =>
    (
      await services.startWorker(name, {
        BUILDER: 'command',
        // The command notes itself in the test's scratch folder, which a sandbox would hide.
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: command(),
        BUILD_RETRY_DELAY_MS: '0',
        BUILD_HEARTBEAT_SECONDS: '10',
      })
    ).process;

  const cancel = (buildId: string, userId: string) =>
    t.http({ at: uniqueSecond() }).post(`/v1/builds/${buildId}/cancel`).send({ userId });
  const buildRow = async (buildId: string) =>
    (
      await t.db.query<BuildRow>(
        `SELECT status, attempts, duration_ms FROM project_build_metrics WHERE build_id = $1`,
        [buildId],
      )
    )[0];
  const projectRow = async (projectId: string) =>
    (
      await t.db.query(`SELECT build_status, current_version_id FROM projects WHERE id = $1`, [projectId])
    )[0] as unknown;
  const attemptsRun = async (buildId: string) =>
    (await readFile(join(scratch, `${buildId}.ran`), 'utf8')).trim().split('\n').length;
  const buildsFolder = (userId: string, projectId: string) => join(t.projectsRoot, userId, projectId, 'builds');

  beforeAll(async () => {
    // HTTP only: every build below is run by a worker process.
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '600' } });
    services = await ServiceProcesses.open('build-cancel', { on: t });
    ({ scratch } = services);
  });
  afterEach(() => services?.killAll());
  afterAll(async () => {
    await services?.close();
    await t?.close();
  });

  it('stops a running update within 2 s: its process group gone, canceled, the time it ran billed once, the project back on its version', async () => {
    await startWorker('worker');
    const body = createBody({ prompt: 'A todo app' });
    const userId = body.userId as string;
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const projectId = created.projectId as string;
    await eventually(
      'the first build succeeded',
      async () => (await buildRow(created.buildId)).status === 'succeeded' || undefined,
      BOOT_MS,
    );
    const { body: update } = await t
      .http()
      .post('/v1/update-project')
      .send({ userId, projectId, prompt: 'a long build' })
      .expect(202);
    const buildId = update.buildId as string;
    const pid = await pidWrittenTo(join(scratch, `${buildId}.pid`), 60_000);

    const { body: canceled } = await cancel(buildId, userId).expect(200);

    await exited(pid, 2_000);
    const beat = await readFile(join(scratch, `${buildId}.beat`), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readFile(join(scratch, `${buildId}.beat`), 'utf8')).toBe(beat);
    expect(canceled).toMatchObject({ status: 'canceled', attempts: 1, isInitialBuild: false });
    const build = await buildRow(buildId);
    expect(build).toMatchObject({ status: 'canceled', attempts: 1, duration_ms: canceled.durationMs });
    const { session, debits } = await billingOfBuild(t.db, buildId);
    expect(session).toEqual({ status: 'closed', seconds_used: Math.max(1, Math.ceil(build.duration_ms! / 1000)) });
    expect(debits).toEqual([-session.seconds_used!]);
    expect(await projectRow(projectId)).toEqual({ build_status: 'ready', current_version_id: created.versionId });
    const versions = await t.db.query(`SELECT build_id FROM project_versions WHERE project_id = $1`, [projectId]);
    expect(versions).toEqual([{ build_id: created.buildId }]);
    // The stopped attempt removed its own output, and recorded nothing.
    await eventually(
      'only the first build’s output left',
      async () => (await readdir(buildsFolder(userId, projectId))).join() === created.buildId || undefined,
      5_000,
    );
    expect(await buildRow(buildId)).toEqual(build);
    expect(await attemptsRun(buildId)).toBe(1);
  }, 240_000);

  it('a cancel while the worker is SIGKILLed mid-build: the build stays canceled, billed once, and never runs again', async () => {
    const first = await startWorker('worker-1');
    const body = createBody({ prompt: 'a long app' });
    const userId = body.userId as string;
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const { buildId, projectId } = created as { buildId: string; projectId: string };
    const pid = await pidWrittenTo(join(scratch, `${buildId}.pid`), 60_000);

    first.signal('SIGKILL');
    await first.exited;
    await exited(pid, 5_000);
    const { body: canceled } = await cancel(buildId, userId).expect(200);
    expect(canceled).toMatchObject({ status: 'canceled', attempts: 1 });
    const billed = await billingOfBuild(t.db, buildId);
    expect(billed.session.status).toBe('closed');
    expect(billed.debits).toEqual([-billed.session.seconds_used!]);

    await startWorker('worker-2');
    // The dead worker's claim lapses (a missed heartbeat, then the supervisor's pass); the job goes
    // to the new worker, which finds the build canceled and completes it without running anything.
    await eventually(
      'the job completed',
      async () => {
        const jobs = await t.db.query<{ state: string }>(`SELECT state FROM pgboss.job WHERE data ->> 'buildId' = $1`, [
          buildId,
        ]);
        return jobs.length > 0 && jobs.every((job) => job.state === 'completed') ? true : undefined;
      },
      120_000,
    );
    expect(await buildRow(buildId)).toMatchObject({ status: 'canceled', attempts: 1 });
    expect(await billingOfBuild(t.db, buildId)).toEqual(billed);
    expect(await attemptsRun(buildId)).toBe(1);
    expect(await projectRow(projectId)).toEqual({ build_status: 'failed', current_version_id: null });
    // The dead attempt's output went with the cancel.
    expect(await readdir(buildsFolder(userId, projectId))).toEqual([]);
  }, 360_000);
});
