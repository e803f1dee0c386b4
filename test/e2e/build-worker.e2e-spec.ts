import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildOutcomesService } from '../../src/build-worker/build-outcomes.service';
import { BuildRunnerService } from '../../src/build-worker/build-runner.service';
import { BuildOutputsService } from '../../src/workspace/build-outputs.service';
import { ProjectDirectoriesService } from '../../src/workspace/project-directories.service';
import { billingOfBuild } from '../support/build-billing';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

interface BuildRow {
  status: string;
  attempts: number;
  error: string | null;
  finished_at: Date | null;
}

/** The build row once it has finished (succeeded or failed). */
function finishedBuild(t: TestApp, buildId: string, timeoutMs = 15_000): Promise<BuildRow> {
  return eventually(
    `build ${buildId} finished`,
    async () => {
      const [build] = await t.db.query<BuildRow>(
        `SELECT status, attempts, error, finished_at FROM project_build_metrics WHERE build_id = $1`,
        [buildId],
      );
      return build.status === 'succeeded' || build.status === 'failed' ? build : undefined;
    },
    timeoutMs,
  );
}

describe('the build worker with the template builder', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api', 'worker'], env: { AI_TIME_WELCOME_SECONDS: '600' } });
  });
  afterAll(() => t?.close());

  it('runs a created build to success: one version, the project ready, the session closed and billed once', async () => {
    const body = createBody({ prompt: 'A <b>bold</b> todo app' });
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);

    const build = await finishedBuild(t, created.buildId);

    expect(build).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(
      await t.db.query(`SELECT version_id, build_id FROM project_versions WHERE project_id = $1`, [created.projectId]),
    ).toEqual([{ version_id: created.versionId, build_id: created.buildId }]);
    const [project] = await t.db.query(`SELECT build_status, current_version_id FROM projects WHERE id = $1`, [
      created.projectId,
    ]);
    expect(project).toEqual({ build_status: 'ready', current_version_id: created.versionId });
    const { session, debits } = await billingOfBuild(t.db, created.buildId);
    expect(session.status).toBe('closed');
    expect(debits).toEqual([-session.seconds_used!]);
    const [balance] = await t.db.query<{ seconds_remaining: number; seconds_used: number }>(
      `SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`,
      [body.userId],
    );
    expect(balance.seconds_remaining + balance.seconds_used).toBe(600);
    const preview = await readFile(
      join(t.projectsRoot, body.userId as string, created.projectId, 'builds', created.buildId, 'index.html'),
      'utf8',
    );
    expect(preview).toContain('&lt;b&gt;bold&lt;/b&gt;');
  });

  it('does nothing more when the same job is delivered again after its outcome was recorded', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await finishedBuild(t, created.buildId);

    const job = {
      buildId: created.buildId,
      projectId: created.projectId,
      userId: body.userId as string,
      versionId: created.versionId,
    };
    await t.app.get(BuildRunnerService).run({ data: job, isLastAttempt: false, signal: new AbortController().signal });

    const { debits } = await billingOfBuild(t.db, created.buildId);
    expect(debits).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM project_versions WHERE build_id = $1`, [created.buildId])).toHaveLength(1);
    const [build] = await t.db.query<BuildRow>(`SELECT attempts FROM project_build_metrics WHERE build_id = $1`, [
      created.buildId,
    ]);
    expect(build.attempts).toBe(1);
  });
});

describe('the build worker with a command builder', () => {
  it.each<[string, Record<string, string>, Partial<BuildRow>, string | undefined]>([
    [
      'a failing command: failed, no version',
      { BUILD_COMMAND: 'echo "it broke" >&2; exit 3', BUILD_MAX_ATTEMPTS: '2' },
      { status: 'failed', attempts: 2 },
      'it broke',
    ],
    [
      'a command that fails once, then succeeds: one version',
      {
        // The marker lives in source/, which the project keeps from one attempt to the next.
        BUILD_COMMAND: `if [ -f "attempted-$BUILD_ID" ]; then echo ok > "$OUTPUT_DIR/index.html"; else touch "attempted-$BUILD_ID"; exit 1; fi`,
        BUILD_MAX_ATTEMPTS: '3',
      },
      { status: 'succeeded', attempts: 2, error: null },
      undefined,
    ],
    [
      'a command that runs past BUILD_TIMEOUT_MS: failed with reason timeout',
      { BUILD_COMMAND: 'sleep 30', BUILD_TIMEOUT_MS: '1000', BUILD_MAX_ATTEMPTS: '1' },
      { status: 'failed', attempts: 1 },
      'timeout',
    ],
  ])(
    '%s',
    async (_what, env, expected, errorText) => {
      const t = await startTestApp({
        roles: ['api', 'worker'],
        env: { BUILDER: 'command', BUILD_RETRY_DELAY_MS: '0', ...env },
      });
      try {
        const body = createBody();
        const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);

        const build = await finishedBuild(t, created.buildId, 20_000);

        expect(build).toMatchObject(expected);
        if (errorText) expect(build.error).toContain(errorText);
        const versions = await t.db.query(`SELECT version_id FROM project_versions WHERE build_id = $1`, [
          created.buildId,
        ]);
        expect(versions).toEqual(expected.status === 'succeeded' ? [{ version_id: created.versionId }] : []);
        const [project] = await t.db.query<{ build_status: string }>(
          `SELECT build_status FROM projects WHERE id = $1`,
          [created.projectId],
        );
        expect(project.build_status).toBe(expected.status === 'succeeded' ? 'ready' : 'failed');
        const { session, debits } = await billingOfBuild(t.db, created.buildId);
        expect(session.status).toBe('closed');
        expect(debits).toHaveLength(1);
        const builds = await readdir(join(t.projectsRoot, body.userId as string, created.projectId, 'builds'));
        expect(builds).toEqual(expected.status === 'succeeded' ? [created.buildId] : []);
      } finally {
        await t.close();
      }
    },
    40_000,
  );
});

describe('the build worker with a backlog', () => {
  it('runs BUILD_CONCURRENCY builds at a time, never more, and drains the backlog to the end', async () => {
    const log = `/tmp/sheen-concurrency-${randomUUID()}.log`;
    const t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        // The builds write to a log of the test's, which a sandbox would not show them.
        BUILD_SANDBOX: 'none',
        BUILD_CONCURRENCY: '2',
        BUILD_COMMAND: `echo "+1" >> "${log}"; sleep 0.4; echo "-1" >> "${log}"; echo ok > "$OUTPUT_DIR/index.html"`,
      },
    });
    try {
      const created: { buildId: string }[] = [];
      for (let i = 0; i < 6; i++) created.push((await t.http().post(CREATE_PATH).send(createBody()).expect(201)).body);

      const builds = await Promise.all(created.map(({ buildId }) => finishedBuild(t, buildId, 30_000)));

      expect(builds.map((build) => build.status)).toEqual(Array(6).fill('succeeded'));
      let running = 0;
      let mostAtOnce = 0;
      for (const change of (await readFile(log, 'utf8')).trim().split('\n')) {
        running += Number(change);
        mostAtOnce = Math.max(mostAtOnce, running);
      }
      expect(mostAtOnce).toBe(2);
    } finally {
      await t.close();
      await rm(log, { force: true });
    }
  }, 60_000);
});

describe('attempts that are no longer current', () => {
  let t: TestApp;

  beforeAll(async () => {
    // HTTP only: the test plays the workers itself, through the same services they use.
    t = await startTestApp({ env: { BUILDER: 'command', BUILD_COMMAND: 'exec sleep 60' } });
  });
  afterAll(() => t?.close());

  async function queuedBuild() {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const job = {
      buildId: created.buildId as string,
      projectId: created.projectId as string,
      userId: body.userId as string,
      versionId: created.versionId as string,
    };
    return { job, projectDir: join(t.projectsRoot, job.userId, job.projectId) };
  }

  /** What an attempt's builder leaves, in the folders the runner makes for it. */
  async function writeAttemptOutput(job: { userId: string; projectId: string; buildId: string }, attempt: number) {
    await t.app.get(ProjectDirectoriesService).ensureBuildLayout(job.userId, job.projectId);
    const output = t.app
      .get(BuildOutputsService)
      .attemptOutputDirectory(job.userId, job.projectId, job.buildId, attempt);
    await mkdir(output);
    await writeFile(join(output, 'index.html'), `attempt ${attempt}`);
  }

  it('a late attempt records nothing and cannot replace the output a later attempt published', async () => {
    const outcomes = t.app.get(BuildOutcomesService);
    const { job, projectDir } = await queuedBuild();
    const late = (await outcomes.startAttempt(job))!;
    // The queue took the job back from a silent worker and another worker started it again.
    const current = (await outcomes.startAttempt(job))!;
    expect([late.build.attempts, current.build.attempts]).toEqual([1, 2]);

    await writeAttemptOutput(job, 2);
    expect(await outcomes.recordSuccess(current.build)).toBe(true);
    await writeAttemptOutput(job, 1);
    expect(await outcomes.recordSuccess(late.build)).toBe(false);
    await outcomes.recordFailure(late.build, 'failed: too late');
    await outcomes.recordAttemptTime(late.build);

    const [build] = await t.db.query(`SELECT status, attempts, error FROM project_build_metrics WHERE build_id = $1`, [
      job.buildId,
    ]);
    expect(build).toEqual({ status: 'succeeded', attempts: 2, error: null });
    expect(await t.db.query(`SELECT 1 FROM project_versions WHERE build_id = $1`, [job.buildId])).toHaveLength(1);
    expect((await billingOfBuild(t.db, job.buildId)).debits).toHaveLength(1);
    expect(await readFile(join(projectDir, 'builds', job.buildId, 'index.html'), 'utf8')).toBe('attempt 2');
    // The late attempt's own folder is its runner's to remove; nothing of it was published.
    expect(await readdir(join(projectDir, 'builds'))).toEqual([`.attempt-${job.buildId}-1`, job.buildId]);
  });

  it('a running attempt that another attempt took over stops its builder and records nothing', async () => {
    const { job, projectDir } = await queuedBuild();
    const run = t.app
      .get(BuildRunnerService)
      .run({ data: job, isLastAttempt: true, signal: new AbortController().signal });
    for (let tries = 0; ; tries++) {
      const [build] = await t.db.query<BuildRow>(`SELECT status FROM project_build_metrics WHERE build_id = $1`, [
        job.buildId,
      ]);
      if (build.status === 'running') break;
      if (tries > 100) throw new Error('the attempt did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await t.db.query(`UPDATE project_build_metrics SET attempts = attempts + 1 WHERE build_id = $1`, [job.buildId]);
    await writeAttemptOutput(job, 2);

    // Resolves (it does not wait out `sleep 60`) once its lease check sees the takeover.
    await run;
    const [build] = await t.db.query(
      `SELECT status, attempts, error, duration_ms FROM project_build_metrics WHERE build_id = $1`,
      [job.buildId],
    );
    expect(build).toEqual({ status: 'running', attempts: 2, error: null, duration_ms: null });
    // Its own output is gone; the output of the attempt that took over is left alone.
    expect(await readdir(join(projectDir, 'builds'))).toEqual([`.attempt-${job.buildId}-2`]);
  }, 15_000);
});
