import { GRACE_PERIOD_SECONDS } from '../../src/integrity/integrity-findings';
import { withClient } from './pg-client';
import { ServiceProcesses } from './service-processes';
import { signed, TEST_SECRET } from './signing';
import { TestDatabase } from './test-database';

/**
 * Several real service processes on one database, as `npm run start:api` and `npm run start:worker`
 * run them when scaled out, and a client that spreads signed requests over the APIs.
 */

/**
 * Processes on one fresh database and projects root of their own, with signing on, no rate limit
 * and no delay before a retry; `env` is shared by every process (each may add its own).
 */
export function openCluster(label: string, env: Record<string, string>): Promise<ServiceProcesses> {
  return ServiceProcesses.open(label, {
    env: {
      WORKER_SHARED_SECRET: TEST_SECRET,
      // `listening on` and the worker's start are info lines.
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      BUILD_RETRY_DELAY_MS: '0',
      ...env,
    },
  });
}

/** What one HTTP request came to. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A signed request as the NextJS app sends it; rejects only when the request failed on the network. */
export async function signedRequest(
  baseUrl: string,
  method: 'GET' | 'POST',
  pathWithQuery: string,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const response = await fetch(`${baseUrl}${pathWithQuery}`, {
    method,
    headers: {
      ...(payload !== undefined && { 'content-type': 'application/json' }),
      ...headers,
      ...signed(TEST_SECRET, { method, pathWithQuery, body }),
    },
    ...(payload !== undefined && { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** A network failure's code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...), from fetch's `cause`. */
export function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}

/** Runs `tasks` with at most `concurrency` of them at a time. */
export async function runBounded(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

export interface BuildRow {
  build_id: string;
  project_id: string;
  status: string;
  attempts: number;
  error: string | null;
  versions: number;
  session: string;
  debits: number;
}

/** Every build with what it left: its versions, its session's status and its debits. */
export function buildRows(db: TestDatabase): Promise<BuildRow[]> {
  return db.query<BuildRow>(
    `SELECT b.build_id, b.project_id, b.status, b.attempts, b.error,
            (SELECT count(*)::int FROM project_versions v WHERE v.build_id = b.build_id) AS versions,
            (SELECT s.status FROM ai_time_sessions s WHERE s.build_id = b.build_id) AS session,
            (SELECT count(*)::int FROM ai_time_ledger l WHERE l.build_id = b.build_id AND l.kind = 'debit') AS debits
       FROM project_build_metrics b
      ORDER BY b.build_id`,
  );
}

/** Resolves once no build is queued or running; fails with the unfinished ones after `timeoutMs`. */
export async function allBuildsFinished(db: TestDatabase, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const unfinished = await db.query<{ build_id: string; status: string; attempts: number }>(
      `SELECT build_id, status, attempts FROM project_build_metrics WHERE status IN ('queued', 'running')`,
    );
    if (unfinished.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${unfinished.length} builds unfinished after ${timeoutMs} ms: ${JSON.stringify(unfinished)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Moves every row's timestamps back past the audit's grace period, so that finished state is
 * judged rather than spared as possibly still in the making. (The folders: `ageTree`.)
 */
export async function ageRows(db: TestDatabase): Promise<void> {
  const interval = `${GRACE_PERIOD_SECONDS + 60} seconds`;
  await db.query(`UPDATE projects SET created_at = created_at - $1::interval`, [interval]);
  await db.query(
    `UPDATE project_build_metrics SET created_at = created_at - $1::interval, finished_at = finished_at - $1::interval`,
    [interval],
  );
  await db.query(`UPDATE project_versions SET created_at = created_at - $1::interval`, [interval]);
}

/**
 * Terminates every backend connected to the test database except the one doing it, as a database
 * failover or an operator's `pg_terminate_backend` would; returns how many it terminated.
 */
export async function terminateBackends(db: TestDatabase): Promise<number> {
  return withClient(db.url, async (client) => {
    const { rows } = await client.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated
         FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.filter((row) => row.terminated).length;
  });
}
