import { EntityManager } from 'typeorm';
import { ProjectFolder, WorkspaceScanService } from '../workspace/workspace-scan.service';
import { Finding, GRACE_PERIOD_SECONDS } from './integrity-findings';

/**
 * The invariants between the database and the project directories. The folders are listed first
 * and the rows queried after, so a row committed meanwhile is seen; what a transaction still in
 * flight has made is younger than the grace period and not judged.
 */

/** The folders under the root that belong to no project. */
export interface RemovableDirectories {
  orphans: { userId: string; projectId: string }[];
}

export async function findRemovableDirectories(
  manager: EntityManager,
  workspace: WorkspaceScanService,
): Promise<RemovableDirectories> {
  const listing = await workspace.listRoot();
  const { orphans } = await splitByProject(manager, listing.projects);
  return { orphans: orphans.filter(isPastGrace) };
}

export async function findDirectoryDamage(manager: EntityManager, workspace: WorkspaceScanService): Promise<Finding[]> {
  const listing = await workspace.listRoot();
  const { owned, orphans } = await splitByProject(manager, listing.projects);
  const findings: Finding[] = [
    ...orphans
      .filter(isPastGrace)
      .map(({ userId, projectId }): Finding => ({ kind: 'orphan_directory', userId, projectId })),
    ...listing.unexpected.map((path): Finding => ({ kind: 'unexpected_entry', path })),
    ...(await manager.query<Finding[]>(PROJECTS_WITHOUT_DIRECTORY, [
      ...folderColumns(listing.projects),
      GRACE_PERIOD_SECONDS,
    ])),
  ];
  findings.push(...(await findOutputDamage(manager, workspace, owned)));
  return findings;
}

/**
 * Inside the folders of existing projects: attempt leftovers, outputs without versions and the
 * reverse, and outputs that retention should have removed.
 */
async function findOutputDamage(
  manager: EntityManager,
  workspace: WorkspaceScanService,
  folders: ProjectFolder[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const outputs: { userId: string; projectId: string; buildId: string }[] = [];
  const attempts: { userId: string; projectId: string; buildId: string; attempt: number }[] = [];
  // One folder at a time: an audit may take a while, but must not flood the disk with reads.
  for (const { userId, projectId } of folders) {
    const contents = await workspace.listProjectContents(userId, projectId);
    findings.push(...contents.unexpected.map((path): Finding => ({ kind: 'unexpected_entry', path })));
    outputs.push(...contents.published.map((buildId) => ({ userId, projectId, buildId })));
    attempts.push(...contents.attempts.filter(isPastGrace).map((attempt) => ({ userId, projectId, ...attempt })));
  }
  const outputColumns = [column(outputs, 'userId'), column(outputs, 'projectId'), column(outputs, 'buildId')];
  findings.push(
    ...(await manager.query<Finding[]>(OUTPUTS_WITHOUT_VERSION, outputColumns)),
    ...(await manager.query<Finding[]>(VERSIONS_WITHOUT_OUTPUT, [
      ...folderColumns(folders),
      ...outputColumns.slice(1),
      GRACE_PERIOD_SECONDS,
    ])),
    ...(await manager.query<Finding[]>(EXPIRED_VERSION_OUTPUTS, outputColumns)),
    ...(await manager.query<Finding[]>(STALE_ATTEMPT_OUTPUTS, [
      column(attempts, 'userId'),
      column(attempts, 'projectId'),
      column(attempts, 'buildId'),
      column(attempts, 'attempt'),
      GRACE_PERIOD_SECONDS,
    ])),
  );
  return findings;
}

/** Which folders belong to a project of that id owned by that user. */
async function splitByProject(
  manager: EntityManager,
  folders: ProjectFolder[],
): Promise<{ owned: ProjectFolder[]; orphans: ProjectFolder[] }> {
  const rows = await manager.query<{ userId: string; projectId: string }[]>(
    `SELECT f.user_id AS "userId", f.project_id AS "projectId"
       FROM unnest($1::uuid[], $2::uuid[]) AS f (user_id, project_id)
       JOIN projects p ON p.id = f.project_id AND p.owner_id = f.user_id`,
    folderColumns(folders),
  );
  const owned = new Set(rows.map((row) => `${row.userId}/${row.projectId}`));
  const isOwned = (folder: ProjectFolder) => owned.has(`${folder.userId}/${folder.projectId}`);
  return { owned: folders.filter(isOwned), orphans: folders.filter((folder) => !isOwned(folder)) };
}

function isPastGrace({ modifiedAt }: { modifiedAt: Date }): boolean {
  return modifiedAt.getTime() < Date.now() - GRACE_PERIOD_SECONDS * 1000;
}

function folderColumns(folders: ProjectFolder[]): [string[], string[]] {
  return [column(folders, 'userId'), column(folders, 'projectId')];
}

/** One field of every row: how a list of rows reaches SQL, as arrays for unnest(). */
function column<T, K extends keyof T>(rows: T[], key: K): T[K][] {
  return rows.map((row) => row[key]);
}

/** $1, $2: the project folders' user and project ids; $3: the grace period in seconds. */
const PROJECTS_WITHOUT_DIRECTORY = `
  SELECT 'project_without_directory' AS kind, p.id AS "projectId", p.owner_id AS "userId"
    FROM projects p
   WHERE p.created_at < now() - make_interval(secs => $3)
     AND NOT EXISTS (
           SELECT 1 FROM unnest($1::uuid[], $2::uuid[]) AS f (user_id, project_id)
            WHERE f.project_id = p.id AND f.user_id = p.owner_id)`;

/**
 * $1, $2, $3: user, project and build id of each published output. An output being published is
 * renamed into place before its version commits, while its build is still running: not judged.
 */
const OUTPUTS_WITHOUT_VERSION = `
  SELECT 'output_without_version' AS kind, o.user_id AS "userId", o.project_id AS "projectId", o.build_id AS "buildId"
    FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS o (user_id, project_id, build_id)
   WHERE NOT EXISTS (SELECT 1 FROM project_versions v WHERE v.project_id = o.project_id AND v.build_id = o.build_id)
     AND NOT EXISTS (SELECT 1 FROM project_build_metrics b WHERE b.build_id = o.build_id AND b.status = 'running')`;

/**
 * $1, $2: the project folders; $3, $4: project and build id of each published output; $5: the grace
 * period. A project without a folder is reported as such, not once per version; an expired version's
 * files were removed on purpose (retention, ADR 039).
 */
const VERSIONS_WITHOUT_OUTPUT = `
  SELECT 'version_without_output' AS kind, v.version_id AS "versionId", v.build_id AS "buildId",
         v.project_id AS "projectId", p.owner_id AS "userId"
    FROM project_versions v
    JOIN projects p ON p.id = v.project_id
    JOIN unnest($1::uuid[], $2::uuid[]) AS f (user_id, project_id) ON f.project_id = p.id AND f.user_id = p.owner_id
   WHERE v.created_at < now() - make_interval(secs => $5)
     AND v.expired_at IS NULL
     AND NOT EXISTS (
           SELECT 1 FROM unnest($3::uuid[], $4::text[]) AS o (project_id, build_id)
            WHERE o.project_id = v.project_id AND o.build_id = v.build_id)`;

/** $1, $2, $3: user, project and build id of each published output. */
const EXPIRED_VERSION_OUTPUTS = `
  SELECT 'expired_version_output' AS kind, v.version_id AS "versionId", v.build_id AS "buildId",
         v.project_id AS "projectId", o.user_id AS "userId"
    FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS o (user_id, project_id, build_id)
    JOIN project_versions v ON v.project_id = o.project_id AND v.build_id = o.build_id
   WHERE v.expired_at IS NOT NULL`;

/**
 * $1..$4: user, project, build and attempt number of each attempt folder past the grace period;
 * $5: the grace period. An attempt folder is the build's own while the build is queued or running,
 * and for the grace period after it finished (the worker removes leftovers once it has recorded).
 */
const STALE_ATTEMPT_OUTPUTS = `
  SELECT 'stale_attempt_output' AS kind, a.user_id AS "userId", a.project_id AS "projectId",
         a.build_id AS "buildId", a.attempt
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS a (user_id, project_id, build_id, attempt)
   WHERE NOT EXISTS (
           SELECT 1 FROM project_build_metrics b
            WHERE b.build_id = a.build_id AND b.project_id = a.project_id
              AND (b.status IN ('queued', 'running') OR b.finished_at > now() - make_interval(secs => $5)))`;
