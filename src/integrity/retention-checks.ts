import { EntityManager } from 'typeorm';

/** A project with versions the janitor is to expire, and its owner, whose lock the expiry takes. */
export interface ProjectOverRetention {
  projectId: string;
  userId: string;
}

/** How many projects one janitor round expires versions of; the next round takes the rest. */
const RETENTION_BATCH = 100;

/**
 * How many failed builds' logs one janitor round removes (up to BUILD_LOG_MAX_BYTES each, in one
 * delete); the next round takes the rest.
 */
const FAILED_BUILD_LOGS_BATCH = 50;

/**
 * Projects with a version, other than their current one, beyond their newest `kept` versions whose
 * files are still kept (ADR 039). Reads versions and projects together, so it belongs to the audit,
 * the one reader of every table; the expiry itself goes through the versions module.
 */
export function findProjectsOverRetention(manager: EntityManager, kept: number): Promise<ProjectOverRetention[]> {
  return manager.query<ProjectOverRetention[]>(
    `SELECT DISTINCT v.project_id AS "projectId", p.owner_id AS "userId"
       FROM (SELECT project_id, version_id,
                    row_number() OVER (PARTITION BY project_id ORDER BY version_id DESC) AS newest
               FROM project_versions
              WHERE expired_at IS NULL) v
       JOIN projects p ON p.id = v.project_id
      WHERE v.newest > $1 AND v.version_id IS DISTINCT FROM p.current_version_id
      LIMIT $2`,
    [kept, RETENTION_BATCH],
  );
}

/**
 * Failed and canceled builds that finished more than `keptDays` ago and still have a log (ADR 037, 039). Reads
 * builds and logs together, so it belongs to the audit; the removal goes through the build-logs
 * module.
 */
export async function findFailedBuildLogsPastRetention(manager: EntityManager, keptDays: number): Promise<string[]> {
  const rows = await manager.query<{ build_id: string }[]>(
    `SELECT l.build_id FROM build_logs l JOIN project_build_metrics b USING (build_id)
      WHERE b.status IN ('failed', 'canceled') AND b.finished_at < now() - make_interval(days => $1)
      ORDER BY l.build_id
      LIMIT $2`,
    [keptDays, FAILED_BUILD_LOGS_BATCH],
  );
  return rows.map((row) => row.build_id);
}
