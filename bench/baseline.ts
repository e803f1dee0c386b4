import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { BillingConfig } from '../src/billing/billing.config';
import { userLock } from '../src/database/advisory-lock';
import { BOUNDED_WAITS, POOL } from '../src/database/data-source-options';
import { lockedCall, placeholders } from '../src/database/transaction-runner';
import { KEY_LIFETIME_HOURS } from '../src/idempotency/idempotency.service';
import { requestFingerprint } from '../src/idempotency/request-fingerprint';
import { newProjectId, newUlid } from '../src/ids/ids';
import { settledCall } from '../src/project-requests/build-request-answer';
import { signatureToSpend } from '../src/http/spent-signatures.service';
import { LatencyRecorder, Measured } from './measurements';
import { DEDUPE_WINDOW_MS } from './service-process';
import { CREATE_PATH, CreateBody, newUserCreate } from './signed-create';

const CREATE_PROJECT = lockedCall('create_project', settledCall(`create_project(${placeholders(19)})`));

/** The reservation the benchmarked service makes with its defaults. */
const RESERVE_SECONDS = BillingConfig.fromEnv({}).reserveSeconds;

/**
 * The floor no HTTP service can beat: a keyless create's transaction as the service sends it (one
 * statement: the lock and the settled `create_project` call, ADR 024, spending a signature of its
 * own, ADR 031), on one `pg` pool of the
 * service's size and bounds. No HTTP, no framework, no directory, no telemetry. It must change when the
 * service's transaction does (ADR 020).
 */
export class BaselineCreates {
  private constructor(
    private readonly pool: Pool,
    private readonly welcomeSeconds: number,
  ) {}

  /** The service must have started on the database already: it defines the queue's insert function. */
  static open(url: string, welcomeSeconds: number): Promise<BaselineCreates> {
    const pool = new Pool({
      connectionString: url,
      ...POOL,
      ...BOUNDED_WAITS,
    });
    return Promise.resolve(new BaselineCreates(pool, welcomeSeconds));
  }

  async close(): Promise<void> {
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

  async create({ userId, prompt }: CreateBody): Promise<void> {
    const projectId = newProjectId();
    const [buildId, versionId, sessionId] = [newUlid(), newUlid(), newUlid()];
    const signature = signatureToSpend(randomBytes(32), Math.floor(Date.now() / 1000));
    const lock = userLock(userId);
    const { rows } = await this.pool.query<{ answer: { answer: string } }>({
      ...CREATE_PROJECT,
      values: [
        userId,
        null,
        requestFingerprint('POST', CREATE_PATH, { userId, prompt }),
        KEY_LIFETIME_HOURS,
        DEDUPE_WINDOW_MS,
        this.welcomeSeconds,
        0,
        RESERVE_SECONDS,
        projectId,
        'server',
        'Untitled Project',
        'react',
        prompt,
        buildId,
        versionId,
        sessionId,
        { buildId, projectId, userId, versionId },
        signature.mac,
        signature.expiresAt,
        lock.namespace,
        lock.key,
      ],
    });
    if (rows[0].answer.answer !== 'created') throw new Error(`the baseline's create was a ${rows[0].answer.answer}`);
  }
}
