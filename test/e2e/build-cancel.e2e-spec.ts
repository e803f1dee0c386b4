import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { BuildRunnerService } from '../../src/build-worker/build-runner.service';
import { createWorkerClient } from '../../src/client/worker-client';
import { IntegrityAuditService } from '../../src/integrity/integrity-audit.service';
import { billingOfBuild } from '../support/build-billing';
import { ageRows, ageTree, createBuiltProject, createProject, CreatedProject } from '../support/integrity-fixtures';
import { noNulls } from '../support/no-nulls';
import { listTree, persistedState } from '../support/persisted-state';
import { eventually } from '../support/processes';
import { uniqueSecond } from '../support/signing';
import { EventStream } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * `POST /v1/builds/:buildId/cancel` against an API-only app: builds stay queued unless a test runs
 * them here, through the worker's own BuildRunnerService, so a test decides when a build runs and
 * when the cancel comes. (Worker processes: build-cancel-workers.e2e-spec.ts.)
 */

const UNKNOWN_BUILD_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';
const WELCOME = 600;
/** `broken` fails, `race` takes a moment, anything else succeeds at once. */
const COMMAND = `case "$PROMPT" in *broken*) echo broken >&2; exit 3;; *race*) sleep 0.15;; esac; echo ok > "$OUTPUT_DIR/index.html"`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cancelPath = (buildId: string) => `/v1/builds/${buildId}/cancel`;

describe('POST /v1/builds/:buildId/cancel', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        BUILDER: 'command',
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: COMMAND,
        AI_TIME_WELCOME_SECONDS: String(WELCOME),
        RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t?.close());

  /** Each cancel signed at a second of its own: the same body sent again is a request of its own. */
  const cancel = (buildId: string, userId: string) =>
    t.http({ at: uniqueSecond() }).post(cancelPath(buildId)).send({ userId });

  /** Runs the build's job here, as a worker would, to its end. */
  const run = ({ buildId, projectId, userId, versionId }: CreatedProject) =>
    t.app.get(BuildRunnerService).run({
      data: { buildId, projectId, userId, versionId },
      isLastAttempt: true,
      signal: new AbortController().signal,
    });

  const buildRow = async (buildId: string) =>
    (
      await t.db.query<{ status: string; attempts: number; duration_ms: number | null; finished_at: Date | null }>(
        `SELECT status, attempts, duration_ms, finished_at FROM project_build_metrics WHERE build_id = $1`,
        [buildId],
      )
    )[0];
  const projectRow = async (projectId: string) =>
    (
      await t.db.query<{ build_status: string; current_version_id: string | null }>(
        `SELECT build_status, current_version_id FROM projects WHERE id = $1`,
        [projectId],
      )
    )[0];
  const versionsOf = (buildId: string) =>
    t.db.query(`SELECT version_id FROM project_versions WHERE build_id = $1`, [buildId]);
  const balanceOf = (userId: string) =>
    t.db.query(`SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`, [userId]);
  /** Everything a cancel could change about the build. */
  const stateOf = async ({ buildId, projectId, userId }: CreatedProject) => ({
    build: await buildRow(buildId),
    project: await projectRow(projectId),
    billing: await billingOfBuild(t.db, buildId),
    balance: await balanceOf(userId),
    persisted: await persistedState(t.db, t.projectsRoot),
  });

  it('cancels a queued build: canceled, no version, its session closed with 0 s, the project failed (its first build), its job canceled; delivered anyway, the job runs nothing', async () => {
    const project = await createProject(t);
    const { buildId, projectId, userId, versionId } = project;

    const { body } = await cancel(buildId, userId).expect(200).expect('content-type', /json/).expect(noNulls);

    expect(body).toEqual({
      buildId,
      projectId,
      versionId,
      status: 'canceled',
      isInitialBuild: true,
      attempts: 0,
      finishedAt: expect.any(String),
      durationMs: 0,
    });
    expect((await t.http().get(`/v1/builds/${buildId}`).query({ userId }).expect(200)).body).toEqual(body);
    expect(await versionsOf(buildId)).toEqual([]);
    expect(await billingOfBuild(t.db, buildId)).toEqual({
      session: { status: 'closed', seconds_used: 0 },
      debits: [0],
    });
    expect(await balanceOf(userId)).toEqual([{ seconds_remaining: WELCOME, seconds_used: 0 }]);
    expect(await projectRow(projectId)).toEqual({ build_status: 'failed', current_version_id: null });
    const jobs = await t.db.query(`SELECT state FROM pgboss.job WHERE name = $1 AND data ->> 'buildId' = $2`, [
      BUILD_QUEUE,
      buildId,
    ]);
    expect(jobs).toEqual([{ state: 'cancelled' }]);
    expect(await listTree(project.directory)).toEqual([]);

    await run(project);

    expect(await buildRow(buildId)).toMatchObject({ status: 'canceled', attempts: 0 });
    expect(await listTree(project.directory)).toEqual([]);
    const { text: metrics } = await t.unsigned().get('/metrics').expect(200);
    expect(metrics).toMatch(/^sheen_builds_finished_total\{outcome="canceled"\} [1-9]/m);
  });

  it('answers a second cancel as the first, and changes nothing', async () => {
    const project = await createProject(t);
    const { body: first } = await cancel(project.buildId, project.userId).expect(200);
    const before = await stateOf(project);

    const { body: second } = await cancel(project.buildId, project.userId).expect(200);

    expect(second).toEqual(first);
    expect(await stateOf(project)).toEqual(before);
  });

  it.each([
    ['succeeded', () => createBuiltProject(t)],
    [
      'failed',
      async () => {
        const project = await createProject(t, { prompt: 'a broken app' });
        await run(project);
        return project;
      },
    ],
  ])('refuses to cancel a build that %s: 409 build_finished, and nothing changes', async (status, finishedBuild) => {
    const project = await finishedBuild();
    const before = await stateOf(project);
    expect(before.build.status).toBe(status);

    const { body } = await cancel(project.buildId, project.userId)
      .expect(409)
      .expect('content-type', /^application\/problem\+json/);

    expect(body).toMatchObject({ type: 'urn:sheen:problem:build_finished', status: 409, code: 'build_finished' });
    expect(body.detail).toContain(status);
    expect(await stateOf(project)).toEqual(before);
  });

  it("answers an unknown build and another user's alike (404), bad input 400, unsigned 401, and none changes anything", async () => {
    const project = await createProject(t);
    const { buildId, userId } = project;
    const before = await stateOf(project);

    const { body: unknown } = await cancel(UNKNOWN_BUILD_ID, userId).expect(404);
    const { body: foreign } = await cancel(buildId, randomUUID()).expect(404);
    const withoutId = (problem: { detail: string }) => ({
      ...problem,
      detail: problem.detail.replace(/[0-9A-Z]{26}/, '…'),
    });
    expect(withoutId(foreign)).toEqual(withoutId(unknown));
    expect(unknown).toMatchObject({ status: 404, code: 'build_not_found' });
    for (const [path, body] of [
      [cancelPath('not-a-ulid'), { userId }],
      [cancelPath(buildId), { userId: 'not-a-uuid' }],
      [cancelPath(buildId), {}],
      [cancelPath(buildId), { userId, reason: 'typo' }],
    ] as const) {
      const { body: problem } = await t.http({ at: uniqueSecond() }).post(path).send(body).expect(400);
      expect(problem).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    const { body: unsigned } = await t.unsigned().post(cancelPath(buildId)).send({ userId }).expect(401);
    expect(unsigned).toMatchObject({ code: 'unauthorized' });

    expect(await stateOf(project)).toEqual(before);
    expect(before.build.status).toBe('queued');
  });

  it('lets an update start right after a cancel (202), and build as usual', async () => {
    const project = await createProject(t);
    const { projectId, userId } = project;
    await cancel(project.buildId, userId).expect(200);

    const { body: queued } = await t
      .http()
      .post('/v1/update-project')
      .send({ userId, projectId, prompt: 'now with a calendar' })
      .expect(202);
    await run({ ...project, buildId: queued.buildId as string, versionId: queued.versionId as string });

    expect(await buildRow(queued.buildId as string)).toMatchObject({ status: 'succeeded' });
    expect(await projectRow(projectId)).toEqual({ build_status: 'ready', current_version_id: queued.versionId });
  });

  it('ends the event stream with canceled, and the client’s followBuild with it', async () => {
    const { buildId, userId } = await createProject(t);
    const stream = await EventStream.open(baseUrl, `/v1/builds/${buildId}/events?userId=${userId}`, t.secret);
    const worker = createWorkerClient({ baseUrl, secret: t.secret });
    const followed: string[] = [];
    const following = (async () => {
      for await (const build of worker.followBuild(buildId, { userId })) followed.push(build.status);
    })();
    await stream.waitFor('queued', () => stream.events.length > 0, 5_000);
    await eventually('the client following', () => Promise.resolve(followed.length > 0 || undefined), 5_000);

    const canceled = await worker.cancelBuild(buildId, { userId });

    await stream.endedByServer(5_000);
    await following;
    expect(canceled.status).toBe('canceled');
    expect(stream.data<{ status: string }>().map((build) => build.status)).toEqual(['queued', 'canceled']);
    expect(stream.data().at(-1)).toEqual(canceled);
    expect(followed).toEqual(['queued', 'canceled']);
  });

  it('a cancel racing the build’s success: one of the two wins each time, billed once, no version or output for a canceled build; the audit is clean', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const project = await createProject(t, { prompt: `race ${round}` });
      const { buildId, projectId, userId } = project;
      const running = run(project);
      await eventually(
        'the build started',
        async () => (await buildRow(buildId)).status !== 'queued' || undefined,
        10_000,
      );
      // From at once to past the command's 150 ms: the cancel comes before, during and after the success.
      await sleep(round * 25);

      const answer = await cancel(buildId, userId);
      await running;

      const { session, debits } = await billingOfBuild(t.db, buildId);
      expect(session.status).toBe('closed');
      expect(debits).toEqual([-session.seconds_used!]);
      const outputs = await listTree(join(project.directory, 'builds'));
      const build = await buildRow(buildId);
      if (answer.status === 200) {
        expect({ answer: answer.body.status, build: build.status }).toEqual({ answer: 'canceled', build: 'canceled' });
        expect(await versionsOf(buildId)).toEqual([]);
        expect(outputs).toEqual([]);
        expect(await projectRow(projectId)).toEqual({ build_status: 'failed', current_version_id: null });
      } else {
        expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 409, code: 'build_finished' });
        expect(build.status).toBe('succeeded');
        expect(await versionsOf(buildId)).toHaveLength(1);
        expect(outputs.filter((path) => !path.includes('/'))).toEqual([buildId]);
      }
      outcomes.push(build.status);
    }
    // At once, the cancel wins: it is in before the command could end.
    expect(outcomes[0]).toBe('canceled');

    await ageRows(t);
    await ageTree(t.projectsRoot);
    const report = await t.app.get(IntegrityAuditService).audit(t.app.get(DataSource).manager);
    expect(report).toMatchObject({ clean: true, findings: [] });
  }, 60_000);
});
