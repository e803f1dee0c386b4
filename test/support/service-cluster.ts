import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRACE_PERIOD_SECONDS } from '../../src/integrity/integrity-findings';
import { withClient } from './pg-client';
import { ServiceProcess } from './service-process';
import { signed, TEST_SECRET } from './signing';
import { createTestDatabase, TestDatabase } from './test-database';

/**
 * Several real service processes on one database, as `npm run start:api` and `npm run start:worker`
 * run them when scaled out, and a client that spreads signed requests over the APIs.
 */

/** ts-node transpiles src/ as each process boots: several booting at once on 2 busy cores is slow. */
export const BOOT_MS = 180_000;

/** An API process, once it listens. */
export interface ApiInstance {
  readonly name: string;
  readonly process: ServiceProcess;
  readonly baseUrl: string;
}

/** A worker process, once it consumes the build queue. */
export interface WorkerInstance {
  readonly name: string;
  readonly process: ServiceProcess;
}

/**
 * Starts processes on one fresh database and projects root of their own, with signing on and no
 * rate limit; stops every one it started, and removes what it made, on `close`.
 */
export class ServiceCluster {
  private readonly started: { name: string; process: ServiceProcess }[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly projectsRoot: string,
    /** A folder for the test's own files (e.g. what build commands write about themselves). */
    readonly scratch: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `env` is shared by every process (each may add its own). */
  static async open(label: string, env: Record<string, string>): Promise<ServiceCluster> {
    const db = await createTestDatabase();
    const projectsRoot = await mkdtemp(join(tmpdir(), `sheen-${label}-projects-`));
    const scratch = await mkdtemp(join(tmpdir(), `sheen-${label}-scratch-`));
    return new ServiceCluster(db, projectsRoot, scratch, {
      DATABASE_URL: db.url,
      PROJECTS_ROOT: projectsRoot,
      WORKER_SHARED_SECRET: TEST_SECRET,
      // `listening on` and the worker's start are info lines.
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      BUILD_RETRY_DELAY_MS: '0',
      ...env,
    });
  }

  async startApi(name: string, env: Record<string, string> = {}): Promise<ApiInstance> {
    const process = this.spawn(name, { ...env, PORT: '0' }, 'api');
    const [, port] = await process.waitForStdout(/listening on http:\/\/127\.0\.0\.1:(\d+)/, BOOT_MS);
    return { name, process, baseUrl: `http://127.0.0.1:${port}` };
  }

  async startWorker(name: string, env: Record<string, string> = {}): Promise<WorkerInstance> {
    const process = this.spawn(name, env, 'worker');
    await process.waitForStdout(/build worker consuming the build queue/, BOOT_MS);
    return { name, process };
  }

  /**
   * A worker whose BUILD_COMMAND notes the worker's name once per attempt (see workersThatRan),
   * then runs `cases` as the branches of `case "$PROMPT" in … esac` (where a prompt may fail or
   * wait), then writes the build's output.
   */
  startRecordingWorker(name: string, cases: string): Promise<WorkerInstance> {
    return this.startWorker(name, {
      BUILDER: 'command',
      // The command notes the worker in the test's scratch folder, which a sandbox would hide.
      BUILD_SANDBOX: 'none',
      BUILD_COMMAND:
        `echo ${name} >> "${this.scratch}/$BUILD_ID.ran"; ` +
        `case "$PROMPT" in ${cases} esac; echo ok > "$OUTPUT_DIR/index.html"`,
    });
  }

  /** The recording workers that ran the build's attempts, in order; undefined before the first began. */
  workersThatRan(buildId: string): Promise<string[] | undefined> {
    return readFile(join(this.scratch, `${buildId}.ran`), 'utf8').then(
      (text) => text.trim().split('\n'),
      () => undefined,
    );
  }

  /** The processes that exited although the test did not kill them (a crash), with their stderr's end. */
  exitedUnexpectedly(killed: readonly ServiceProcess[] = []): string[] {
    return this.started
      .filter(({ process }) => !process.running && !killed.includes(process))
      .map(({ name, process }) => `${name} exited: ${process.stderr.slice(-2000)}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.started.map(({ process }) => process.kill()));
    await this.db.drop();
    for (const dir of [this.projectsRoot, this.scratch]) await rm(dir, { recursive: true, force: true });
  }

  private spawn(name: string, env: Record<string, string>, role: 'api' | 'worker'): ServiceProcess {
    const process = new ServiceProcess({ ...this.env, ...env }, role);
    this.started.push({ name, process });
    return process;
  }
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
