import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { TestDatabase } from './test-database';

/** Everything a create can leave behind, counted, so a test can assert "nothing half-written". */
export interface PersistedState {
  projects: number;
  builds: number;
  versions: number;
  sessions: number;
  balances: number;
  ledger: number;
  jobs: number;
  /** Answers remembered for an Idempotency-Key, and for the dedupe window. */
  idempotencyKeys: number;
  recentCreates: number;
  /** Starts counted against users' rate limits, summed. */
  rateLimitPoints: number;
  /** Every path under the projects root, relative to it. */
  paths: string[];
}

export async function persistedState(db: TestDatabase, projectsRoot: string): Promise<PersistedState> {
  const [counts] = await db.query<Omit<PersistedState, 'paths'>>(
    `SELECT (SELECT count(*)::int FROM projects) AS projects,
            (SELECT count(*)::int FROM project_build_metrics) AS builds,
            (SELECT count(*)::int FROM project_versions) AS versions,
            (SELECT count(*)::int FROM ai_time_sessions) AS sessions,
            (SELECT count(*)::int FROM ai_time_balances) AS balances,
            (SELECT count(*)::int FROM ai_time_ledger) AS ledger,
            (SELECT count(*)::int FROM pgboss.job WHERE name = $1) AS jobs,
            (SELECT count(*)::int FROM idempotency_keys) AS "idempotencyKeys",
            (SELECT count(*)::int FROM recent_creates) AS "recentCreates",
            (SELECT coalesce(sum(points), 0)::int FROM rate_limits) AS "rateLimitPoints"`,
    [BUILD_QUEUE],
  );
  return { ...counts, paths: await listTree(projectsRoot) };
}

export const NOTHING: PersistedState = {
  projects: 0,
  builds: 0,
  versions: 0,
  sessions: 0,
  balances: 0,
  ledger: 0,
  jobs: 0,
  idempotencyKeys: 0,
  recentCreates: 0,
  rateLimitPoints: 0,
  paths: [],
};

export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    },
  );
  return entries.map((entry) => relative(root, join(entry.parentPath, entry.name))).sort();
}
