import { readdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ABANDONED_BUILD_QUEUE, BUILD_QUEUE } from '../../src/build-queue/build-job';
import { BuildRunnerService } from '../../src/build-worker/build-runner.service';
import { GRACE_PERIOD_SECONDS } from '../../src/integrity/integrity-findings';
import { CREATE_PATH, createBody } from './requests';
import { TestApp } from './test-app';

/** The ids of one project created through the API, with its first build. */
export interface CreatedProject {
  userId: string;
  projectId: string;
  buildId: string;
  versionId: string;
  sessionId: string;
  directory: string;
}

/** Creates a project through the real API: its build stays queued unless a worker runs it. */
export async function createProject(t: TestApp, overrides: Record<string, unknown> = {}): Promise<CreatedProject> {
  const body = createBody(overrides);
  const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
  const userId = body.userId as string;
  return {
    userId,
    projectId: created.projectId,
    buildId: created.buildId,
    versionId: created.versionId,
    sessionId: created.aiTimeSessionId,
    directory: join(t.projectsRoot, userId, created.projectId),
  };
}

/**
 * Creates a project and runs its build in this process, as a worker would, to success: version,
 * published output, session closed and billed. (Its job stays in the queue, as it is never consumed.)
 */
export async function createBuiltProject(t: TestApp): Promise<CreatedProject> {
  const project = await createProject(t);
  const { buildId, projectId, userId, versionId } = project;
  const job = { buildId, projectId, userId, versionId };
  await t.app.get(BuildRunnerService).run({ data: job, isLastAttempt: true, signal: new AbortController().signal });
  const [build] = await t.db.query<{ status: string }>(`SELECT status FROM project_build_metrics WHERE build_id = $1`, [
    buildId,
  ]);
  if (build.status !== 'succeeded') throw new Error(`fixture build ${buildId} ended ${build.status}`);
  return project;
}

/** A moment just past the grace period: what the audit judges and the janitor may repair. */
export function pastGrace(): Date {
  return new Date(Date.now() - (GRACE_PERIOD_SECONDS + 60) * 1000);
}

/** Makes a file or folder look untouched since before the grace period. */
export async function age(path: string): Promise<void> {
  const then = pastGrace();
  await utimes(path, then, then);
}

/** Ages every folder under the root, so nothing is spared by the grace period. */
export async function ageTree(root: string): Promise<void> {
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) await age(join(entry.parentPath, entry.name));
  }
}

/** Moves every row's timestamps back past the grace period, so nothing is spared by it. */
export async function ageRows(t: TestApp): Promise<void> {
  const interval = `${GRACE_PERIOD_SECONDS + 60} seconds`;
  await t.db.query(`UPDATE projects SET created_at = created_at - $1::interval`, [interval]);
  await t.db.query(
    `UPDATE project_build_metrics
        SET created_at = created_at - $1::interval, finished_at = finished_at - $1::interval`,
    [interval],
  );
  await t.db.query(`UPDATE project_versions SET created_at = created_at - $1::interval`, [interval]);
}

/** Deletes the build's jobs from the build queue, as if pg-boss had lost them. */
export async function deleteJobOf(t: TestApp, buildId: string): Promise<void> {
  await t.db.query(`DELETE FROM pgboss.job WHERE name = $1 AND data ->> 'buildId' = $2`, [BUILD_QUEUE, buildId]);
}

/** Empties the tables and the root, so each test audits only what it made. */
export async function wipe(t: TestApp): Promise<void> {
  await t.db.query(`TRUNCATE projects, ai_time_balances CASCADE`);
  await t.db.query(`DELETE FROM pgboss.job WHERE name IN ($1, $2)`, [BUILD_QUEUE, ABANDONED_BUILD_QUEUE]);
  for (const entry of await readdir(t.projectsRoot)) await rm(join(t.projectsRoot, entry), { recursive: true });
}
