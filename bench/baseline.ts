import { Pool, PoolClient } from 'pg';
import { PgBoss } from 'pg-boss';
import type { Db } from 'pg-boss';
import { userLock } from '../src/database/advisory-lock';
import { POOL } from '../src/database/data-source-options';
import { BUILD_QUEUE } from '../src/builds/build-job';
import { requestFingerprint } from '../src/idempotency/request-fingerprint';
import { newProjectId, newUlid } from '../src/ids/ids';
import { LatencyRecorder, Measured } from './measurements';
import { DEDUPE_WINDOW_MS } from './service-process';
import { CREATE_PATH, CreateBody, newUserCreate } from './signed-create';

/**
 * The floor no HTTP service can beat: the statements of a keyless create's transaction, as the
 * service sends them (the lock round trip, the dedupe look-up, the balance, the four rows, the job
 * through pg-boss's own `send` on the same connection, the dedupe record), on one `pg` pool of the
 * service's size. No HTTP, no framework, no directory, no telemetry.
 */
export class BaselineCreates {
  private constructor(
    private readonly pool: Pool,
    private readonly boss: PgBoss,
    private readonly welcomeSeconds: number,
  ) {}

  /** The queue must exist already (the service created it at start). */
  static async open(url: string, welcomeSeconds: number): Promise<BaselineCreates> {
    const pool = new Pool({
      connectionString: url,
      max: POOL.max,
      connectionTimeoutMillis: POOL.connectionTimeoutMillis,
    });
    const boss = new PgBoss({ connectionString: url, max: 1, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
    return new BaselineCreates(pool, boss, welcomeSeconds);
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false });
    await this.pool.end();
  }

  /** Closed loop like autocannon's: `concurrency` callers, each starting its next create when the last ends. */
  async load(concurrency: number, seconds: number, recorder = new LatencyRecorder()): Promise<Measured> {
    const deadline = performance.now() + seconds * 1000;
    const caller = async () => {
      while (performance.now() < deadline) {
        const startedAt = performance.now();
        await this.create(newUserCreate()).then(
          () => recorder.record(performance.now() - startedAt),
          (error: Error) => recorder.fail(error.message),
        );
      }
    };
    await recorder.during(() => Promise.all(Array.from({ length: concurrency }, caller)));
    return recorder.summary();
  }

  async create(request: CreateBody): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await this.createIn(client, request);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async createIn(client: PoolClient, { userId, prompt }: CreateBody): Promise<void> {
    const { namespace, key } = userLock(userId);
    const fingerprint = requestFingerprint('POST', CREATE_PATH, { userId, prompt });
    await client.query(
      `SET LOCAL lock_timeout = '3000ms'; SET LOCAL statement_timeout = '10000ms'; ` +
        `SELECT pg_advisory_xact_lock(${namespace}, ${key})`,
    );
    const recent = await client.query(
      `SELECT body FROM recent_creates
        WHERE owner_id = $1 AND request_hash = $2 AND created_at > now() - make_interval(secs => $3::float8 / 1000)`,
      [userId, fingerprint, DEDUPE_WINDOW_MS],
    );
    if (recent.rowCount) throw new Error('a repeated create: the baseline sends distinct users only');
    await client.query(
      `WITH welcomed AS (
         INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, $2)
         ON CONFLICT (user_id) DO NOTHING
         RETURNING user_id, seconds_remaining, seconds_used
       ), welcome_entry AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, reason)
         SELECT user_id, 'welcome', seconds_remaining, 'welcome' FROM welcomed
       )
       SELECT seconds_remaining, seconds_used FROM welcomed
       UNION ALL
       SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`,
      [userId, this.welcomeSeconds],
    );
    const projectId = newProjectId();
    await client.query(
      `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, $3, $4, 'server')
       ON CONFLICT DO NOTHING RETURNING id`,
      [projectId, userId, 'Untitled Project', 'react'],
    );
    const buildId = newUlid();
    const versionId = newUlid();
    const build = await client.query<{ id: number }>(
      `INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, status, framework, prompt)
       VALUES ($1, $2, $3, $4, true, 'queued', 'react', $5) RETURNING id`,
      [buildId, versionId, projectId, userId, prompt],
    );
    await client.query(
      `UPDATE projects SET current_build_id = $1, framework = $2, build_status = 'queued', last_build_started = now(),
              updated_at = CURRENT_TIMESTAMP
        WHERE id = $3`,
      [buildId, 'react', projectId],
    );
    const sessionId = newUlid();
    await client.query(`INSERT INTO ai_time_sessions (id, user_id, project_id, build_id) VALUES ($1, $2, $3, $4)`, [
      sessionId,
      userId,
      projectId,
      buildId,
    ]);
    const jobId = await this.boss.send(
      BUILD_QUEUE,
      { buildId, projectId, userId, versionId },
      { db: onConnection(client) },
    );
    if (jobId === null) throw new Error('pg-boss did not enqueue the job');
    const body = {
      success: true,
      projectId,
      versionId,
      buildId,
      buildMetricsId: build.rows[0].id,
      jobId,
      aiTimeSessionId: sessionId,
      status: 'queued',
      idSource: 'server',
      createdBy: 'worker-service',
    };
    await client.query(
      `INSERT INTO recent_creates (owner_id, request_hash, body) VALUES ($1, $2, $3)
       ON CONFLICT (owner_id, request_hash) DO UPDATE SET body = EXCLUDED.body, created_at = now()`,
      [userId, fingerprint, body],
    );
  }
}

function onConnection(client: PoolClient): Db {
  return {
    executeSql: async (text: string, values?: unknown[]) => ({ rows: (await client.query(text, values)).rows }),
  };
}
