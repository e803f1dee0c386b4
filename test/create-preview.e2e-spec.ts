import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { persistedState, NOTHING } from './support/persisted-state';
import { CREATE_PATH, createBody } from './support/requests';
import { startTestApp, TestApp } from './support/test-app';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /v1/create-preview-for-new-project', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '120' } });
  });
  afterAll(() => t.close());

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
    expect(projectId).toMatch(UUID_V4);
    expect(buildId).toMatch(ULID);
    expect(versionId).toMatch(ULID);
    expect(aiTimeSessionId).toMatch(ULID);
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

    const directory = join(t.projectsRoot, body.userId as string, projectId);
    for (const folder of ['', 'source', 'builds'])
      expect((await stat(join(directory, folder))).isDirectory()).toBe(true);

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

  it('answers 402 insufficient_ai_time when the balance is used up, and writes nothing', async () => {
    const userId = randomUUID();
    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
    await t.db.query(`UPDATE ai_time_balances SET seconds_remaining = 0 WHERE user_id = $1`, [userId]);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(402);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 402, code: 'insufficient_ai_time' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
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
        .send(createBody({ userId: userFor(owner), projectId }))
        .expect(409);

      expect(response.body).toMatchObject({ status: 409, code: 'project_id_conflict' });
      const after = await persistedState(t.db, t.projectsRoot);
      // A first-time user's welcome balance is rolled back with everything else.
      expect(after).toEqual(before);
      const [project] = await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [projectId]);
      expect(project.owner_id).toBe(owner);
    });
  });
});

describe('POST /v1/create-preview-for-new-project for a user with no AI time', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '0' } });
  });
  afterAll(() => t.close());

  it('answers 402 to a first-time user when the welcome balance is zero, and writes nothing', async () => {
    const response = await t.http().post(CREATE_PATH).send(createBody()).expect(402);
    expect(response.body).toMatchObject({
      code: 'insufficient_ai_time',
      type: 'urn:sheen:problem:insufficient_ai_time',
    });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });
});
