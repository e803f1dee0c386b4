import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../../src/ids/ids';
import { listTree, persistedState, NOTHING } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

/** The server chooses project ids as random UUID v4, which LOWER_CASE_UUID_PATTERN alone does not say. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /v1/create-preview-for-new-project', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '120' } });
  });
  afterAll(() => t?.close());

  it('creates the project, build, session, job and directory together and answers 201 with exactly the contract fields', async () => {
    const body = createBody({ framework: 'vue', name: 'Todo' });
    const response = await t.http().post(CREATE_PATH).send(body).expect(201);

    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'aiTimeSessionId',
        'buildId',
        'buildMetricsId',
        'createdBy',
        'idSource',
        'jobId',
        'projectId',
        'status',
        'success',
        'versionId',
      ].sort(),
    );
    const { projectId, buildId, versionId, buildMetricsId, jobId, aiTimeSessionId } = response.body;
    expect(response.body).toMatchObject({
      success: true,
      status: 'queued',
      idSource: 'server',
      createdBy: 'worker-service',
    });
    expect(projectId).toMatch(LOWER_CASE_UUID_PATTERN);
    expect(projectId).toMatch(UUID_V4);
    expect(buildId).toMatch(ULID_PATTERN);
    expect(versionId).toMatch(ULID_PATTERN);
    expect(aiTimeSessionId).toMatch(ULID_PATTERN);
    expect(versionId).not.toBe(buildId);
    expect(typeof buildMetricsId).toBe('number');

    const [project] = await t.db.query(`SELECT * FROM projects WHERE id = $1`, [projectId]);
    expect(project).toMatchObject({
      owner_id: body.userId,
      name: 'Todo',
      framework: 'vue',
      created_by_service: 'worker-service',
      id_source: 'server',
      build_status: 'queued',
      current_build_id: buildId,
      current_version_id: null,
    });
    expect(project.last_build_started).toBeInstanceOf(Date);

    const [build] = await t.db.query(`SELECT * FROM project_build_metrics WHERE build_id = $1`, [buildId]);
    expect(build).toMatchObject({
      id: buildMetricsId,
      version_id: versionId,
      project_id: projectId,
      user_id: body.userId,
      is_initial_build: true,
      status: 'queued',
      attempts: 0,
      prompt: body.prompt,
      framework: 'vue',
      finished_at: null,
    });

    const [session] = await t.db.query(`SELECT * FROM ai_time_sessions WHERE id = $1`, [aiTimeSessionId]);
    expect(session).toMatchObject({
      user_id: body.userId,
      project_id: projectId,
      build_id: buildId,
      status: 'active',
      closed_at: null,
    });

    const [job] = await t.db.query(`SELECT name, data, state FROM pgboss.job WHERE id = $1`, [jobId]);
    expect(job).toEqual({
      name: 'project-build',
      state: 'created',
      data: { buildId, projectId, userId: body.userId, versionId },
    });

    // The project's folders come with its first build; the create makes its directory.
    const directory = join(t.projectsRoot, body.userId as string, projectId);
    expect((await stat(directory)).isDirectory()).toBe(true);
    expect(await readdir(directory)).toEqual([]);

    expect(await t.db.query(`SELECT * FROM project_versions WHERE project_id = $1`, [projectId])).toEqual([]);
  });

  it('defaults framework to react and name to "Untitled Project"', async () => {
    const { body } = await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    const [project] = await t.db.query(`SELECT name, framework FROM projects WHERE id = $1`, [body.projectId]);
    expect(project).toEqual({ name: 'Untitled Project', framework: 'react' });
  });

  it('gives a new user the welcome seconds once, recorded in the ledger', async () => {
    const userId = randomUUID();
    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'another' }))
      .expect(201);
    expect(
      await t.db.query(`SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`, [userId]),
    ).toEqual([{ seconds_remaining: 120, seconds_used: 0 }]);
    expect(await t.db.query(`SELECT kind, seconds FROM ai_time_ledger WHERE user_id = $1`, [userId])).toEqual([
      { kind: 'welcome', seconds: 120 },
    ]);
  });

  it('stores ids in lower case even when the caller sends upper case', async () => {
    const userId = randomUUID();
    const { body } = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId: userId.toUpperCase() }))
      .expect(201);
    const [project] = await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [body.projectId]);
    expect(project.owner_id).toBe(userId);
    expect((await stat(join(t.projectsRoot, userId, body.projectId))).isDirectory()).toBe(true);
  });

  it.each([
    ['used up', 0],
    ['negative', -5],
  ])('answers 402 insufficient_ai_time when the balance is %s (%i s), and writes nothing', async (_what, seconds) => {
    const userId = randomUUID();
    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
    await t.db.query(`UPDATE ai_time_balances SET seconds_remaining = $2 WHERE user_id = $1`, [userId, seconds]);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'a second app' }))
      .expect(402);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 402, code: 'insufficient_ai_time' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    expect(
      await t.db.query(`SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`, [userId]),
    ).toEqual([{ seconds_remaining: seconds, seconds_used: 0 }]);
  });

  describe('legacy client project ids', () => {
    it('accepts an unused id and says the client chose it', async () => {
      const projectId = randomUUID();
      const { body } = await t.http().post(CREATE_PATH).send(createBody({ projectId })).expect(201);
      expect(body).toMatchObject({ projectId, idSource: 'client' });
      const [project] = await t.db.query(`SELECT id_source FROM projects WHERE id = $1`, [projectId]);
      expect(project.id_source).toBe('client');
    });

    it.each([
      ['the same user', (owner: string) => owner],
      ['another user', () => randomUUID()],
    ])('answers 409 project_id_conflict when %s reuses the id, and writes nothing', async (_who, userFor) => {
      const projectId = randomUUID();
      const owner = randomUUID();
      await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId: owner, projectId }))
        .expect(201);
      const before = await persistedState(t.db, t.projectsRoot);

      const response = await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId: userFor(owner), projectId, prompt: 'the same id again' }))
        .expect(409);

      expect(response.body).toMatchObject({ status: 409, code: 'project_id_conflict' });
      const after = await persistedState(t.db, t.projectsRoot);
      // A first-time user's welcome balance is rolled back with everything else.
      expect(after).toEqual(before);
      const [project] = await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [projectId]);
      expect(project.owner_id).toBe(owner);
    });

    it.each([1, 2, 3, 4, 5])(
      'gives the id to exactly one of two users racing for it, and leaves nothing of the other (round %i)',
      async () => {
        const projectId = randomUUID();
        const users = [randomUUID(), randomUUID()];

        const responses = await Promise.all(
          users.map((userId) => t.http().post(CREATE_PATH).send(createBody({ userId, projectId }))),
        );

        expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
        const winner = users[responses.findIndex((response) => response.status === 201)];
        const loser = users[responses.findIndex((response) => response.status === 409)];
        expect(responses.find((response) => response.status === 201)?.body).toMatchObject({
          projectId,
          idSource: 'client',
        });
        expect(responses.find((response) => response.status === 409)?.body).toMatchObject({
          status: 409,
          code: 'project_id_conflict',
        });

        expect(await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [projectId])).toEqual([
          { owner_id: winner },
        ]);
        const [rows] = await t.db.query<Record<string, number>>(
          `SELECT (SELECT count(*)::int FROM project_build_metrics WHERE project_id = $1) AS builds,
                  (SELECT count(*)::int FROM ai_time_sessions WHERE project_id = $1) AS sessions,
                  (SELECT count(*)::int FROM pgboss.job WHERE name = $2 AND data->>'projectId' = $1::text) AS jobs,
                  (SELECT count(*)::int FROM ai_time_balances WHERE user_id = $3) AS loser_balances,
                  (SELECT count(*)::int FROM ai_time_ledger WHERE user_id = $3) AS loser_ledger`,
          [projectId, BUILD_QUEUE, loser],
        );
        expect(rows).toEqual({ builds: 1, sessions: 1, jobs: 1, loser_balances: 0, loser_ledger: 0 });
        const paths = await listTree(t.projectsRoot);
        expect(paths.filter((path) => path.includes(projectId) || path.startsWith(loser))).toEqual([
          `${winner}/${projectId}`,
        ]);
      },
    );
  });
});

describe('POST /v1/create-preview-for-new-project for a user with no AI time', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '0' } });
  });
  afterAll(() => t?.close());

  it('answers 402 to a first-time user when the welcome balance is zero, and writes nothing', async () => {
    const response = await t.http().post(CREATE_PATH).send(createBody()).expect(402);
    expect(response.body).toMatchObject({
      code: 'insufficient_ai_time',
      type: 'urn:sheen:problem:insufficient_ai_time',
    });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });
});
