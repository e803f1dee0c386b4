import { randomUUID } from 'node:crypto';
import { newUlid } from '../../src/ids/ids';
import { noNulls } from '../support/no-nulls';
import { persistedState } from '../support/persisted-state';
import { startTestApp, TestApp } from '../support/test-app';
import {
  buildReaches,
  createSite,
  livePath,
  QueuedBuild,
  queueUpdate,
  releaseBuild,
  SiteProject,
  updateSite,
  versionPath,
  VERSION_SITES_ENV,
} from '../support/version-sites';

const currentVersionPath = (projectId: string) => `/v1/projects/${projectId}/current-version`;

describe('POST /v1/projects/:projectId/current-version', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api', 'worker'], env: { ...VERSION_SITES_ENV, AI_TIME_WELCOME_SECONDS: '600' } });
  });
  afterAll(() => t?.close());

  const setCurrent = (project: SiteProject, versionId: string) =>
    t.http().post(currentVersionPath(project.projectId)).send({ userId: project.userId, versionId });

  const read = async (project: SiteProject) =>
    (await t.http().get(`/v1/projects/${project.projectId}`).query({ userId: project.userId }).expect(200)).body as {
      currentVersionId: string;
      buildStatus: string;
      currentBuildId: string;
      updatedAt: string;
    };

  const served = async (path: string) => (await t.unsigned().get(path).expect(200)).text;

  /** A project with two versions, the second current. */
  async function twoVersions(): Promise<SiteProject & { v1: string; v2: string }> {
    const first = await createSite(t, 'First version');
    expect(first.status).toBe('succeeded');
    const second = await updateSite(t, first, 'Second version');
    return { userId: first.userId, projectId: first.projectId, v1: first.versionId, v2: second.versionId };
  }

  const balanceOf = (userId: string) =>
    t.db.query(`SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`, [userId]);

  it('serves an earlier version again with no build, job or AI time, and answers the project as its read does', async () => {
    const project = await twoVersions();
    const before = await persistedState(t.db, t.projectsRoot);
    const balance = await balanceOf(project.userId);

    const { body } = await setCurrent(project, project.v1.toLowerCase()).expect(200).expect(noNulls);

    expect(body).toEqual(await read(project));
    expect(body).toMatchObject({
      currentVersionId: project.v1,
      buildStatus: 'ready',
      previewUrl: `/preview/${project.projectId}/${project.v1}/`,
      livePreviewUrl: `/preview/${project.projectId}/`,
    });
    expect(await served(livePath(project))).toBe(`<p>${project.v1}</p>`);
    expect(await served(livePath(project, 'pages/about.html'))).toBe(`about ${project.v1}`);
    expect(await served(versionPath(project, project.v1))).toBe(`<p>${project.v1}</p>`);
    expect(await served(versionPath(project, project.v2))).toBe(`<p>${project.v2}</p>`);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    expect(await balanceOf(project.userId)).toEqual(balance);

    await setCurrent(project, project.v2).expect(200);
    expect(await served(livePath(project))).toBe(`<p>${project.v2}</p>`);
  });

  it('changes nothing, not even updatedAt, for the version already current', async () => {
    const project = await twoVersions();
    const before = await read(project);

    const { body } = await setCurrent(project, project.v2).expect(200);

    expect(body).toEqual(before);
    expect(await read(project)).toEqual(before);
  });

  it('keeps the failed status of a project whose last build failed, serving the version set', async () => {
    const project = await twoVersions();
    const failing = await queueUpdate(t, project, 'A version that will FAIL');
    await buildReaches(t, failing.buildId, ['failed']);

    const { body } = await setCurrent(project, project.v1).expect(200);

    expect(body).toMatchObject({
      buildStatus: 'failed',
      currentVersionId: project.v1,
      currentBuildId: failing.buildId,
    });
    expect(await served(livePath(project))).toBe(`<p>${project.v1}</p>`);
  });

  describe('while a build of the project is running', () => {
    let project: SiteProject & { v1: string; v2: string };

    beforeAll(async () => {
      project = await twoVersions();
    });

    /** Starts an update that waits for its release, and waits until it runs. */
    async function running(prompt: string): Promise<QueuedBuild> {
      const build = await queueUpdate(t, project, `${prompt} WAIT`);
      await buildReaches(t, build.buildId, ['running']);
      return build;
    }

    it('is allowed, leaves the build running, and the build that then succeeds becomes current', async () => {
      const third = await running('Third version');

      const { body } = await setCurrent(project, project.v1).expect(200);
      expect(body).toMatchObject({
        currentVersionId: project.v1,
        buildStatus: 'building',
        currentBuildId: third.buildId,
      });
      expect(await served(livePath(project))).toBe(`<p>${project.v1}</p>`);

      await releaseBuild(t, project, third.buildId);
      await buildReaches(t, third.buildId, ['succeeded']);
      expect(await read(project)).toMatchObject({ currentVersionId: third.versionId, buildStatus: 'ready' });
      expect(await served(livePath(project))).toBe(`<p>${third.versionId}</p>`);
    });

    it('leaves the version it set when the build then fails', async () => {
      const failing = await running('A version that will FAIL');

      await setCurrent(project, project.v2).expect(200);
      await releaseBuild(t, project, failing.buildId);
      await buildReaches(t, failing.buildId, ['failed']);

      expect(await read(project)).toMatchObject({ currentVersionId: project.v2, buildStatus: 'failed' });
      expect(await served(livePath(project))).toBe(`<p>${project.v2}</p>`);
    });
  });

  it('is documented with its body, its answer and every problem it gives', async () => {
    const document = (await t.unsigned().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: object; requestBody: { content: object } }>>;
    };
    const operation = document.paths['/v1/projects/{projectId}/current-version'].post;

    expect(Object.keys(operation.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '404',
      '409',
      '410',
      '413',
      '415',
      '500',
      '503',
    ]);
    expect(operation.requestBody.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/SetCurrentVersionRequest' } },
    });
  });

  describe('refusals, which change no row', () => {
    let project: SiteProject & { v1: string; v2: string };
    let failedVersionId: string;
    let ownOtherVersionId: string;
    let foreign: SiteProject & { versionId: string };

    beforeAll(async () => {
      project = await twoVersions();
      const failing = await queueUpdate(t, project, 'A version that will FAIL');
      await buildReaches(t, failing.buildId, ['failed']);
      failedVersionId = failing.versionId;
      foreign = await createSite(t, 'Another project of another user');
      const sameUsersOther = await t
        .http()
        .post('/v1/create-preview-for-new-project')
        .send({ userId: project.userId, prompt: 'Another project of the same user' })
        .expect(201);
      await buildReaches(t, sameUsersOther.body.buildId as string, ['succeeded']);
      ownOtherVersionId = sameUsersOther.body.versionId as string;
    });

    const projects = () => t.db.query(`SELECT * FROM projects ORDER BY id`);

    async function expectNothingChanged(send: () => Promise<{ status: number; body: { code?: string } }>) {
      const rows = await projects();
      const state = await persistedState(t.db, t.projectsRoot);
      const response = await send();
      expect(await projects()).toEqual(rows);
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(state);
      return response;
    }

    it.each<[string, number, string, () => [string, Record<string, unknown>]]>([
      [
        'an unknown project',
        404,
        'project_not_found',
        () => [randomUUID(), { userId: project.userId, versionId: project.v1 }],
      ],
      [
        'another user\u2019s project',
        404,
        'project_not_found',
        () => [foreign.projectId, { userId: project.userId, versionId: foreign.versionId }],
      ],
      [
        'an unknown version',
        404,
        'version_not_found',
        () => [project.projectId, { userId: project.userId, versionId: newUlid() }],
      ],
      [
        'another user\u2019s project\u2019s version',
        404,
        'version_not_found',
        () => [project.projectId, { userId: project.userId, versionId: foreign.versionId }],
      ],
      [
        'another project\u2019s version',
        404,
        'version_not_found',
        () => [project.projectId, { userId: project.userId, versionId: ownOtherVersionId }],
      ],
      [
        'a failed build\u2019s versionId',
        404,
        'version_not_found',
        () => [project.projectId, { userId: project.userId, versionId: failedVersionId }],
      ],
      ['no versionId', 400, 'validation_failed', () => [project.projectId, { userId: project.userId }]],
      [
        'a versionId that is not a ULID',
        400,
        'validation_failed',
        () => [project.projectId, { userId: project.userId, versionId: 'v1' }],
      ],
      [
        'a null versionId',
        400,
        'validation_failed',
        () => [project.projectId, { userId: project.userId, versionId: null }],
      ],
      [
        'a userId that is not a UUID',
        400,
        'validation_failed',
        () => [project.projectId, { userId: 'me', versionId: project.v1 }],
      ],
      [
        'an unknown field',
        400,
        'validation_failed',
        () => [project.projectId, { userId: project.userId, versionId: project.v1, force: true }],
      ],
      [
        'a projectId that is not a UUID',
        400,
        'validation_failed',
        () => ['not-a-uuid', { userId: project.userId, versionId: project.v1 }],
      ],
    ])('%s: %i %s', async (_what, status, code, request) => {
      const [projectId, body] = request();
      const response = await expectNothingChanged(() => t.http().post(currentVersionPath(projectId)).send(body));

      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ status, code });
    });

    it('refuses a body that is not a JSON object with 400', async () => {
      const response = await expectNothingChanged(() =>
        t.http().post(currentVersionPath(project.projectId)).send([project.userId, project.v1]),
      );
      expect(response.status).toBe(400);
    });

    it('refuses an unsigned request with 401', async () => {
      const response = await expectNothingChanged(() =>
        t
          .unsigned()
          .post(currentVersionPath(project.projectId))
          .send({ userId: project.userId, versionId: project.v1 }),
      );
      expect(response.body).toMatchObject({ status: 401, code: 'unauthorized' });
    });
  });
});
