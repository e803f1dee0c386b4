import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { newUlid, ULID_PATTERN } from '../../src/ids/ids';
import { eventually } from '../support/processes';
import { noNulls } from '../support/no-nulls';
import { persistedState } from '../support/persisted-state';
import { SigningOptions, uniqueSecond } from '../support/signing';
import { whileTheQueueInsertsNothing } from '../support/skipped-jobs';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const UPDATE_PATH = '/v1/update-project';
const REPLAYED = 'idempotent-replayed';

describe('POST /v1/update-project', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '120' } });
  });
  afterAll(() => t?.close());

  const post = (body: Record<string, unknown>, key?: string, signing?: SigningOptions) => {
    const request = t.http(signing).post(UPDATE_PATH);
    return (key === undefined ? request : request.set('Idempotency-Key', key)).send(body);
  };

  /** A project of a fresh user whose first build has finished (marked succeeded in the database). */
  async function idleProject(overrides: Record<string, unknown> = {}) {
    const body = createBody(overrides);
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await finish(created.buildId as string);
    return { userId: body.userId as string, projectId: created.projectId as string, firstBuildId: created.buildId };
  }

  async function finish(buildId: string): Promise<void> {
    await t.db.query(`UPDATE project_build_metrics SET status = 'succeeded', finished_at = now() WHERE build_id = $1`, [
      buildId,
    ]);
  }

  async function buildsOf(projectId: string): Promise<{ build_id: string }[]> {
    return t.db.query(`SELECT build_id FROM project_build_metrics WHERE project_id = $1 ORDER BY id`, [projectId]);
  }

  async function frameworkOf(projectId: string, userId: string): Promise<string> {
    const { body } = await t.http().get(`/v1/projects/${projectId}`).query({ userId }).expect(200).expect(noNulls);
    return body.framework as string;
  }

  async function buildFramework(buildId: string): Promise<string> {
    const [build] = await t.db.query<{ framework: string }>(
      `SELECT framework FROM project_build_metrics WHERE build_id = $1`,
      [buildId],
    );
    return build.framework;
  }

  it('queues a new (not initial) build with its session and job, and answers 202 with exactly the contract fields', async () => {
    const { userId, projectId } = await idleProject({ framework: 'vue' });
    const response = await post({ userId, projectId, prompt: 'Add a settings page' }).expect(202).expect(noNulls);

    expect(Object.keys(response.body).sort()).toEqual(
      ['aiTimeSessionId', 'buildId', 'buildMetricsId', 'jobId', 'projectId', 'status', 'success', 'versionId'].sort(),
    );
    const { buildId, versionId, buildMetricsId, jobId, aiTimeSessionId } = response.body;
    expect(response.body).toMatchObject({ success: true, projectId, status: 'queued' });
    expect(buildId).toMatch(ULID_PATTERN);
    expect(versionId).toMatch(ULID_PATTERN);
    expect(aiTimeSessionId).toMatch(ULID_PATTERN);

    const [build] = await t.db.query(`SELECT * FROM project_build_metrics WHERE build_id = $1`, [buildId]);
    expect(build).toMatchObject({
      id: buildMetricsId,
      version_id: versionId,
      project_id: projectId,
      user_id: userId,
      is_initial_build: false,
      status: 'queued',
      attempts: 0,
      prompt: 'Add a settings page',
      framework: 'vue',
    });
    const [project] = await t.db.query(`SELECT build_status, current_build_id FROM projects WHERE id = $1`, [
      projectId,
    ]);
    expect(project).toEqual({ build_status: 'queued', current_build_id: buildId });
    const [session] = await t.db.query(`SELECT * FROM ai_time_sessions WHERE id = $1`, [aiTimeSessionId]);
    expect(session).toMatchObject({ user_id: userId, project_id: projectId, build_id: buildId, status: 'active' });
    const [job] = await t.db.query(`SELECT name, data, state FROM pgboss.job WHERE id = $1`, [jobId]);
    expect(job).toEqual({ name: 'project-build', state: 'created', data: { buildId, projectId, userId, versionId } });
    expect(await t.db.query(`SELECT * FROM project_versions WHERE project_id = $1`, [projectId])).toEqual([]);
  });

  it('builds with the framework asked for and switches the project to it', async () => {
    const { userId, projectId } = await idleProject({ framework: 'vue' });
    const { body } = await post({ userId, projectId, prompt: 'now in svelte', framework: 'svelte' }).expect(202);

    expect(await buildFramework(body.buildId as string)).toBe('svelte');
    expect(await frameworkOf(projectId, userId)).toBe('svelte');
  });

  it("builds without a framework with the project's current one: the last one an update asked for", async () => {
    const { userId, projectId } = await idleProject({ framework: 'vue' });
    const { body: switched } = await post({ userId, projectId, prompt: 'to astro', framework: 'astro' }).expect(202);
    await finish(switched.buildId as string);

    const { body } = await post({ userId, projectId, prompt: 'a footer' }).expect(202);

    expect(await buildFramework(body.buildId as string)).toBe('astro');
    expect(await frameworkOf(projectId, userId)).toBe('astro');
  });

  it('answers 409 naming the build that a writer outside the owner’s lock queued after the check, writing nothing', async () => {
    const { userId, projectId } = await idleProject();
    const before = await persistedState(t.db, t.projectsRoot);
    const intruder = newUlid();
    const writer = new Client({ connectionString: t.db.url });
    await writer.connect();
    try {
      // Uncommitted, so the update's check cannot see it; its insert then waits on the index.
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, framework, prompt)
         VALUES ($1, $2, $3, $4, false, 'react', 'intruder')`,
        [intruder, newUlid(), projectId, userId],
      );
      const update = post({ userId, projectId, prompt: 'race' }).then((response) => response);
      await eventually(
        'the update waiting on the index',
        async () => {
          const [{ waiting }] = await t.db.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH locked%update_project%'`,
          );
          return waiting > 0 || undefined;
        },
        10_000,
      );
      await writer.query('COMMIT');

      const response = await update;
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ status: 409, code: 'build_in_progress', buildId: intruder });
    } finally {
      await writer.end();
    }
    expect(await persistedState(t.db, t.projectsRoot)).toEqual({ ...before, builds: before.builds + 1 });
  });

  it('keeps the framework when the build cannot be queued: the switch is in the build’s transaction', async () => {
    const { userId, projectId } = await idleProject({ framework: 'vue' });
    const before = await persistedState(t.db, t.projectsRoot);
    const response = await whileTheQueueInsertsNothing(t.db, () =>
      post({ userId, projectId, prompt: 'to angular', framework: 'angular' }),
    );
    expect(response.status).toBe(500);

    expect(await frameworkOf(projectId, userId)).toBe('vue');
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it.each([
    ['an unknown project', () => Promise.resolve({ userId: randomUUID(), projectId: randomUUID() })],
    ["another user's project", async () => ({ userId: randomUUID(), projectId: (await idleProject()).projectId })],
  ])('answers 404 project_not_found for %s and writes nothing', async (_what, target) => {
    const { userId, projectId } = await target();
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await post({ userId, projectId, prompt: 'change it' });

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, code: 'project_not_found' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it("answers 409 build_in_progress naming the build while the create's build is still queued, and writes nothing", async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await post({ userId: body.userId, projectId: created.projectId, prompt: 'too soon' });

    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, code: 'build_in_progress', buildId: created.buildId });
    expect(response.body.detail).toContain(created.buildId);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    expect(await buildsOf(created.projectId)).toEqual([{ build_id: created.buildId }]);
  });

  it('answers 409 while a build is running, and succeeds once it has finished', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await t.db.query(`UPDATE project_build_metrics SET status = 'running', attempts = 1 WHERE build_id = $1`, [
      created.buildId,
    ]);
    const update = { userId: body.userId, projectId: created.projectId, prompt: 'after the first' };
    const busy = await post(update, undefined, { at: uniqueSecond() }).expect(409);
    expect(busy.body.detail).toContain(created.buildId);

    await finish(created.buildId as string);
    const { body: second } = await post(update, undefined, { at: uniqueSecond() }).expect(202);

    expect(await buildsOf(created.projectId)).toEqual([{ build_id: created.buildId }, { build_id: second.buildId }]);
  });

  it('answers an identical repeat without a key, while its build is queued, 409 build_in_progress naming it', async () => {
    const { userId, projectId, firstBuildId } = await idleProject();
    const update = { userId, projectId, prompt: 'double-clicked' };
    const { body: first } = await post(update, undefined, { at: uniqueSecond() }).expect(202);
    const before = await persistedState(t.db, t.projectsRoot);

    const repeat = await post(update, undefined, { at: uniqueSecond() });

    expect(repeat.status).toBe(409);
    expect(repeat.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(repeat.body).toMatchObject({ status: 409, code: 'build_in_progress', buildId: first.buildId });
    expect(repeat.body).not.toHaveProperty('deduplicated');
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    expect(await buildsOf(projectId)).toEqual([{ build_id: firstBuildId }, { build_id: first.buildId }]);
  });

  it('gives racing identical updates without a key one build: one 202, the rest 409 naming it', async () => {
    const { userId, projectId, firstBuildId } = await idleProject();
    const update = { userId, projectId, prompt: 'clicked many times' };

    // Each click signed anew (a second apart), as separate requests of the NextJS app are.
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => post(update, undefined, { at: uniqueSecond() })),
    );

    const accepted = responses.filter((response) => response.status === 202);
    expect(accepted).toHaveLength(1);
    const { buildId } = accepted[0].body;
    const refused = responses.filter((response) => response !== accepted[0]);
    const answers = refused.map((response): unknown[] => [response.status, response.body.code, response.body.buildId]);
    expect(answers).toEqual(Array(11).fill([409, 'build_in_progress', buildId]));
    expect(await buildsOf(projectId)).toEqual([{ build_id: firstBuildId }, { build_id: buildId }]);
  });

  it('queues a new build for an identical repeat without a key once the first has finished: no dedupe window', async () => {
    const { userId, projectId } = await idleProject();
    const update = { userId, projectId, prompt: 'again, please' };
    const { body: first } = await post(update, undefined, { at: uniqueSecond() }).expect(202);
    await finish(first.buildId as string);

    const { body: second } = await post(update, undefined, { at: uniqueSecond() }).expect(202);

    expect(second.buildId).not.toBe(first.buildId);
    expect(second).not.toHaveProperty('deduplicated');
    expect(await t.db.query(`SELECT 1 FROM recent_creates WHERE owner_id = $1`, [userId])).toHaveLength(1);
  });

  it('refuses the very same signed update again, queued or finished, with 401 signature_replayed', async () => {
    const { userId, projectId, firstBuildId } = await idleProject();
    const update = { userId, projectId, prompt: 'captured on the wire' };
    const at = uniqueSecond();
    const { body: first } = await post(update, undefined, { at }).expect(202);

    const whileQueued = await post(update, undefined, { at });
    await finish(first.buildId as string);
    const afterwards = await post(update, undefined, { at });

    for (const replay of [whileQueued, afterwards]) {
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ status: 401, code: 'signature_replayed' });
    }
    expect(await buildsOf(projectId)).toEqual([{ build_id: firstBuildId }, { build_id: first.buildId }]);
  });

  it('replays the first answer for a repeated Idempotency-Key and queues one build', async () => {
    const { userId, projectId, firstBuildId } = await idleProject();
    const update = { userId, projectId, prompt: 'retry me' };
    const first = await post(update, 'update-1').expect(202);
    const second = await post(update, 'update-1').expect(202);

    expect(first.headers[REPLAYED]).toBeUndefined();
    expect(second.headers[REPLAYED]).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await buildsOf(projectId)).toEqual([{ build_id: firstBuildId }, { build_id: first.body.buildId }]);
  });

  it('refuses the same key with another body with 422 idempotency_key_reused, writing nothing', async () => {
    const { userId, projectId } = await idleProject();
    const { body: first } = await post({ userId, projectId, prompt: 'one' }, 'update-2').expect(202);
    await finish(first.buildId as string);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await post({ userId, projectId, prompt: 'two' }, 'update-2');

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('answers 402 insufficient_ai_time when the balance is used up, writing nothing', async () => {
    const { userId, projectId } = await idleProject();
    await t.db.query(`UPDATE ai_time_balances SET seconds_remaining = 0 WHERE user_id = $1`, [userId]);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await post({ userId, projectId, prompt: 'no time left' });

    expect(response.status).toBe(402);
    expect(response.body).toMatchObject({ code: 'insufficient_ai_time' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown field', { name: 'x' }, 'name'],
    ['a missing projectId', { projectId: undefined }, 'projectId'],
    ['a projectId that is not a UUID', { projectId: 'nope' }, 'projectId'],
    ['a missing userId', { userId: undefined }, 'userId'],
    ['an empty prompt', { prompt: '' }, 'prompt'],
    ['an unknown framework', { framework: 'cobol' }, 'framework'],
  ])('answers 400 validation_failed for %s, writing nothing', async (_what, overrides, field) => {
    const before = await persistedState(t.db, t.projectsRoot);
    const body = { userId: randomUUID(), projectId: randomUUID(), prompt: 'x', ...overrides };

    const response = await post(body);

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((response.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('is in the OpenAPI document with its 202 and problems, and no 200', async () => {
    const { body } = await t.http().get('/docs-json').expect(200);
    const operation = body.paths[UPDATE_PATH].post;
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['202', '400', '402', '404', '409', '422', '429']),
    );
    expect(operation.responses).not.toHaveProperty('200');
    expect(body.components.schemas.UpdateProjectResponse.properties).not.toHaveProperty('deduplicated');
    expect(operation.requestBody.content['application/json'].schema.$ref).toMatch(/UpdateProjectRequest$/);
  });
});
