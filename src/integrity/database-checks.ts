import { EntityManager } from 'typeorm';
import { ABANDONED_BUILD_QUEUE, BUILD_QUEUE } from '../build-queue/build-job';
import { Finding, GRACE_PERIOD_SECONDS } from './integrity-findings';

/**
 * The invariants the database alone can check, one query each. Every query selects its finding's
 * fields under their report names, so a row is the finding. Read-only: the audit reads every
 * module's tables, the repairs go through the modules that own them.
 */
const CHECKS: readonly string[] = [
  `SELECT 'project_without_build' AS kind, p.id AS "projectId", p.owner_id AS "userId"
     FROM projects p
    WHERE NOT EXISTS (SELECT 1 FROM project_build_metrics b WHERE b.project_id = p.id)`,

  `SELECT 'version_of_unsucceeded_build' AS kind, v.version_id AS "versionId", v.build_id AS "buildId",
          v.project_id AS "projectId", b.status AS "buildStatus"
     FROM project_versions v
     JOIN project_build_metrics b ON b.build_id = v.build_id
    WHERE b.status <> 'succeeded'`,

  `SELECT 'succeeded_build_without_version' AS kind, b.build_id AS "buildId", b.version_id AS "versionId",
          b.project_id AS "projectId"
     FROM project_build_metrics b
    WHERE b.status = 'succeeded'
      AND NOT EXISTS (SELECT 1 FROM project_versions v WHERE v.build_id = b.build_id)`,

  `SELECT 'invalid_current_version' AS kind, p.id AS "projectId", p.current_version_id AS "versionId"
     FROM projects p
     JOIN project_versions v ON v.version_id = p.current_version_id
     JOIN project_build_metrics b ON b.build_id = v.build_id
    WHERE v.project_id <> p.id OR b.status <> 'succeeded'`,

  `SELECT 'expired_current_version' AS kind, p.id AS "projectId", p.current_version_id AS "versionId"
     FROM projects p
     JOIN project_versions v ON v.version_id = p.current_version_id
    WHERE v.expired_at IS NOT NULL`,

  `SELECT 'active_session_of_finished_build' AS kind, s.id AS "sessionId", s.build_id AS "buildId",
          b.status AS "buildStatus"
     FROM ai_time_sessions s
     JOIN project_build_metrics b ON b.build_id = s.build_id
    WHERE s.status = 'active' AND b.status IN ('succeeded', 'failed', 'canceled')`,

  // A debit whose session is gone is history (its project was deleted), not damage.
  `SELECT 'closed_session_without_debit' AS kind, s.id AS "sessionId", s.build_id AS "buildId"
     FROM ai_time_sessions s
    WHERE s.status = 'closed'
      AND NOT EXISTS (SELECT 1 FROM ai_time_ledger l WHERE l.build_id = s.build_id AND l.kind = 'debit')`,

  `SELECT 'debit_not_matching_session' AS kind, s.id AS "sessionId", s.build_id AS "buildId",
          s.seconds_used AS "sessionSeconds", -l.seconds AS "debitSeconds"
     FROM ai_time_sessions s
     JOIN ai_time_ledger l ON l.build_id = s.build_id AND l.kind = 'debit'
    WHERE s.status = 'closed' AND s.seconds_used IS DISTINCT FROM -l.seconds`,

  `SELECT 'debit_of_active_session' AS kind, s.id AS "sessionId", s.build_id AS "buildId"
     FROM ai_time_sessions s
     JOIN ai_time_ledger l ON l.build_id = s.build_id AND l.kind = 'debit'
    WHERE s.status = 'active'`,
];

/**
 * A queued or running build is finished only by a job of the build queue that pg-boss will still
 * run (created, waiting for a retry, or active) or by a pending job in the abandoned queue. A build
 * younger than the grace period is not judged.
 */
const BUILDS_WITHOUT_LIVE_JOB = `
  SELECT 'build_without_live_job' AS kind, b.build_id AS "buildId", b.project_id AS "projectId",
         b.user_id AS "userId", b.version_id AS "versionId", b.status AS "buildStatus"
    FROM project_build_metrics b
   WHERE b.status IN ('queued', 'running')
     AND b.created_at < now() - make_interval(secs => $3)
     AND NOT EXISTS (
           SELECT 1 FROM pgboss.job j
            WHERE j.name IN ($1, $2)
              AND j.state IN ('created', 'retry', 'active')
              AND j.data ->> 'buildId' = b.build_id)
   ORDER BY b.build_id`;

export type BuildWithoutLiveJob = Extract<Finding, { kind: 'build_without_live_job' }>;

export async function findDatabaseDamage(manager: EntityManager): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const check of CHECKS) findings.push(...(await manager.query<Finding[]>(check)));
  findings.push(...(await findBuildsWithoutLiveJob(manager)));
  return findings;
}

export function findBuildsWithoutLiveJob(manager: EntityManager): Promise<BuildWithoutLiveJob[]> {
  return manager.query<BuildWithoutLiveJob[]>(BUILDS_WITHOUT_LIVE_JOB, [
    BUILD_QUEUE,
    ABANDONED_BUILD_QUEUE,
    GRACE_PERIOD_SECONDS,
  ]);
}
