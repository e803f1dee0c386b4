import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { BuildRunnerService } from '../../src/build-worker/build-runner.service';
import { IntegrityAuditService } from '../../src/integrity/integrity-audit.service';
import { JanitorConfig } from '../../src/integrity/janitor.config';
import { JanitorService } from '../../src/integrity/janitor.service';
import { VersionListResponse } from '../../src/versions/dto/version-list.response';
import { ageRows, createBuiltProject, CreatedProject, wipe } from '../support/integrity-fixtures';
import { noNulls } from '../support/no-nulls';
import { startTestApp, TestApp } from '../support/test-app';

/** Two versions kept; the janitor runs only when a test calls it (the app plays the API role). */
const KEPT = 2;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    override: (builder) =>
      builder
        .overrideProvider(JanitorConfig)
        .useValue(JanitorConfig.fromEnv({ JANITOR_INTERVAL_MS: '0', VERSIONS_KEPT: String(KEPT) })),
  });
});
afterAll(() => t?.close());
afterEach(() => wipe(t));

interface Version {
  versionId: string;
  buildId: string;
}

/** Queues an update through the API and runs its build in this process, to success: the project's newest version. */
async function buildUpdate(project: CreatedProject, prompt: string): Promise<Version> {
  const { userId, projectId } = project;
  const { body } = await t.http().post('/v1/update-project').send({ userId, projectId, prompt }).expect(202);
  const job = { buildId: body.buildId, projectId, userId, versionId: body.versionId };
  await t.app.get(BuildRunnerService).run({ data: job, isLastAttempt: true, signal: new AbortController().signal });
  return { versionId: body.versionId, buildId: body.buildId };
}

/** A project with `count` succeeded versions, oldest first; the newest is current. */
async function projectWithVersions(count: number): Promise<{ project: CreatedProject; versions: Version[] }> {
  const project = await createBuiltProject(t);
  const versions: Version[] = [{ versionId: project.versionId, buildId: project.buildId }];
  for (let n = 2; n <= count; n++) versions.push(await buildUpdate(project, `version ${n}`));
  return { project, versions };
}

const publishedOutputs = async (project: CreatedProject) =>
  (await readdir(join(project.directory, 'builds'))).filter((entry) => !entry.startsWith('.')).sort();

const expiredVersions = async (projectId: string) =>
  (
    await t.db.query<{ version_id: string }>(
      `SELECT version_id FROM project_versions WHERE project_id = $1 AND expired_at IS NOT NULL ORDER BY version_id`,
      [projectId],
    )
  ).map((row) => row.version_id);

const preview = (projectId: string, versionId: string) => t.unsigned().get(`/preview/${projectId}/${versionId}/`);

const audit = () => t.app.get(IntegrityAuditService).audit(t.app.get(DataSource).manager);

describe('retention: the newest VERSIONS_KEPT versions and the current one keep their files', () => {
  it("removes older versions' files, marks them expired, and their previews answer 410 version_expired", async () => {
    const { project, versions } = await projectWithVersions(4);
    const [v1, v2, v3, v4] = versions;

    expect(await t.app.get(JanitorService).runOnce()).toBe(true);

    expect(await expiredVersions(project.projectId)).toEqual([v1.versionId, v2.versionId]);
    expect(await publishedOutputs(project)).toEqual([v3.buildId, v4.buildId].sort());
    // Their builds' logs went with their files; the kept versions' logs stay.
    const logged = await t.db.query<{ build_id: string }>(
      `SELECT build_id FROM build_logs WHERE build_id = ANY($1) ORDER BY build_id`,
      [versions.map((version) => version.buildId)],
    );
    expect(logged.map((row) => row.build_id)).toEqual([v3.buildId, v4.buildId].sort());
    for (const expired of [v1, v2]) {
      const { body } = await preview(project.projectId, expired.versionId)
        .expect(410)
        .expect('content-type', /application\/problem\+json/);
      expect(body).toMatchObject({ status: 410, code: 'version_expired' });
    }
    for (const kept of [v3, v4]) await preview(project.projectId, kept.versionId).expect(200);
    const { body: list } = (await t
      .http()
      .get(`/v1/projects/${project.projectId}/versions`)
      .query({ userId: project.userId })
      .expect(200)
      .expect(noNulls)) as { body: VersionListResponse };
    const expiredAt = Object.fromEntries(list.items.map((item) => [item.versionId, item.expiredAt]));
    expect(expiredAt[v1.versionId]).toEqual(expect.any(String));
    expect(expiredAt[v2.versionId]).toEqual(expect.any(String));
    expect(expiredAt).toMatchObject({ [v3.versionId]: undefined, [v4.versionId]: undefined });
  });

  it('keeps the current version whatever its age, and expires each version once', async () => {
    const { project, versions } = await projectWithVersions(4);
    const [v1, v2, v3, v4] = versions;
    // As a rollback leaves it: the oldest version current.
    await t.db.query(`UPDATE projects SET current_version_id = $2 WHERE id = $1`, [project.projectId, v1.versionId]);

    await t.app.get(JanitorService).runOnce();
    const [{ expired_at: firstExpiry }] = await t.db.query<{ expired_at: Date }>(
      `SELECT expired_at FROM project_versions WHERE version_id = $1`,
      [v2.versionId],
    );
    await t.app.get(JanitorService).runOnce();

    expect(await expiredVersions(project.projectId)).toEqual([v2.versionId]);
    expect(await publishedOutputs(project)).toEqual([v1.buildId, v3.buildId, v4.buildId].sort());
    await preview(project.projectId, v1.versionId).expect(200);
    const [{ expired_at: secondExpiry }] = await t.db.query<{ expired_at: Date }>(
      `SELECT expired_at FROM project_versions WHERE version_id = $1`,
      [v2.versionId],
    );
    expect(secondExpiry).toEqual(firstExpiry);
  });

  it('refuses a rollback to an expired version with 410 version_expired, changing nothing', async () => {
    const { project, versions } = await projectWithVersions(3);
    const [v1, , v3] = versions;
    await t.app.get(JanitorService).runOnce();
    const before = await t.db.query(`SELECT * FROM projects WHERE id = $1`, [project.projectId]);

    const { body } = await t
      .http()
      .post(`/v1/projects/${project.projectId}/current-version`)
      .send({ userId: project.userId, versionId: v1.versionId })
      .expect(410);

    expect(body).toMatchObject({ status: 410, code: 'version_expired' });
    expect(await t.db.query(`SELECT * FROM projects WHERE id = $1`, [project.projectId])).toEqual(before);
    expect(before[0]).toMatchObject({ current_version_id: v3.versionId });
  });

  it('leaves projects within the limit alone, and the audit tells expired versions from missing ones', async () => {
    const within = await projectWithVersions(KEPT);
    const over = await projectWithVersions(KEPT + 1);

    await t.app.get(JanitorService).runOnce();
    await ageRows(t);

    expect(await expiredVersions(within.project.projectId)).toEqual([]);
    expect(await publishedOutputs(within.project)).toHaveLength(KEPT);
    expect(await expiredVersions(over.project.projectId)).toEqual([over.versions[0].versionId]);
    expect(await audit()).toMatchObject({ clean: true, findings: [] });
  });

  it('an unknown version of the project is still the 404, not the 410', async () => {
    const { project } = await projectWithVersions(1);

    await preview(project.projectId, '01JDRZ8Q4XK8V1N9E6W3T2Y5B7').expect(404);
  });
});

describe("retention: a failed build's log is kept FAILED_BUILDS_KEPT_DAYS after the build finished", () => {
  const logRows = async (buildId: string) =>
    Number(
      (await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM build_log_lines WHERE build_id = $1`, [buildId]))[0]
        .n,
    );
  const finished = (buildId: string, status: string, daysAgo: number) =>
    t.db.query(
      `UPDATE project_build_metrics SET status = $2, finished_at = now() - make_interval(days => $3) WHERE build_id = $1`,
      [buildId, status, daysAgo],
    );

  it("removes the logs of builds that failed or were canceled longer ago, and keeps a recent failure's and a success's", async () => {
    const [old, canceled, recent, succeeded] = [
      await createBuiltProject(t),
      await createBuiltProject(t),
      await createBuiltProject(t),
      await createBuiltProject(t),
    ];
    await finished(old.buildId, 'failed', 31);
    await finished(canceled.buildId, 'canceled', 31);
    await finished(recent.buildId, 'failed', 29);
    await finished(succeeded.buildId, 'succeeded', 400);
    for (const { buildId } of [old, canceled, recent, succeeded]) expect(await logRows(buildId)).toBeGreaterThan(0);

    await t.app.get(JanitorService).runOnce();

    expect(await t.db.query(`SELECT 1 FROM build_logs WHERE build_id = $1`, [old.buildId])).toEqual([]);
    expect(await logRows(old.buildId)).toBe(0);
    expect(await logRows(canceled.buildId)).toBe(0);
    expect(await logRows(recent.buildId)).toBeGreaterThan(0);
    expect(await logRows(succeeded.buildId)).toBeGreaterThan(0);
    const { body } = await t.http().get(`/v1/builds/${old.buildId}/logs`).query({ userId: old.userId }).expect(200);
    expect(body).toEqual({ items: [], droppedLines: 0 });
  });
});
