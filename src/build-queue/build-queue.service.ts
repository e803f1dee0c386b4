import { setTimeout as delay } from 'node:timers/promises';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PgBoss } from 'pg-boss';
import { insertJobs, notifyQueue } from 'pg-boss/dist/plans.js';
import type { ConstructorOptions, Db, JobWithMetadata, Queue, WorkOptions } from 'pg-boss';
import type { PoolConfig } from 'pg';
import { EntityManager } from 'typeorm';
import { DatabaseConnection } from '../database/database-connection';
import { keepConnectionErrorsHeard } from '../database/data-source-options';
import { QUEUE_FUNCTIONS_LOCK } from '../database/advisory-lock';
import { BuildQueueConfig, EXPIRY_MARGIN_SECONDS } from './build-queue.config';
import { ABANDONED_BUILD_QUEUE, BUILD_QUEUE } from './build-job';
import type { BuildJob } from './build-job';
import { userBuildLimitGuard } from './user-build-limit';
import { queuePositionFunction } from './queue-position-function';
import { WorkerConfig } from '../build-worker/worker.config';

/**
 * How often a worker process looks for builds whose worker went silent (missed heartbeats, expired
 * claims) and hands them back: with the heartbeat, this bounds how soon a crashed build is retried.
 */
const SUPERVISE_INTERVAL_SECONDS = 10;

/**
 * The least time between two wake-ups of the workers from one process: at most this much is added
 * to a job's pickup, and under load the wake-ups stay a hundred a second, not one per create.
 */
const WAKE_UP_INTERVAL_MS = 10;

/** pg-boss's schema, set explicitly: the statements taken from its plans name it. */
const PG_BOSS_SCHEMA = 'pgboss';
const FUNCTION_BODY_QUOTE = '$build_queue_insert$';

/** Whatever the job carries, plus pg-boss's own record of its retries and limits. */
export type BuildJobAttempt = JobWithMetadata<BuildJob>;

/**
 * Owns the pg-boss build queue. Jobs are inserted by the request's own transaction (through
 * `build_queue_insert`, see defineJobInsert), so a job exists exactly when the project and build
 * rows it names do; the workers are woken once it has committed (wakeWorkers). Only worker processes supervise the queue
 * and set its options, so API processes never fight them over the retry settings.
 */
@Injectable()
export class BuildQueueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BuildQueueService.name);
  private readonly boss: PgBoss;
  private readonly wakeUpStatement = notifyQueue(PG_BOSS_SCHEMA, BUILD_QUEUE);
  private wakeUp?: Promise<void>;
  private wakeAgain = false;

  constructor(
    connection: DatabaseConnection,
    private readonly config: BuildQueueConfig,
    private readonly roles: WorkerConfig,
  ) {
    // pg-boss hands its options on to its pg.Pool, onConnect included.
    const options: ConstructorOptions & Pick<PoolConfig, 'onConnect'> = {
      connectionString: connection.url,
      schema: PG_BOSS_SCHEMA,
      application_name: 'sheen-build-queue',
      max: 3,
      useListenNotify: true,
      supervise: roles.runsWorker,
      superviseIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
      monitorIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
      onConnect: keepConnectionErrorsHeard,
    };
    this.boss = new PgBoss(options);
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    const options = this.queueOptions();
    // createQueue leaves an existing queue's options alone; a worker applies its current ones.
    await this.boss.createQueue(ABANDONED_BUILD_QUEUE);
    await this.boss.createQueue(BUILD_QUEUE, options);
    if (this.roles.runsWorker) await this.boss.updateQueue(BUILD_QUEUE, options);
    await this.defineQueueFunctions();
  }

  /**
   * Defines `build_queue_insert(jobs text)`, which queue_project_build (migration BuildsPerUser)
   * calls to enqueue a build in the request's own statement: its body is the statement pg-boss's
   * `send` runs for this queue (its columns, the queue's defaults), from the installed pg-boss's own
   * plans, but without the NOTIFY that wakes the workers: wakeWorkers sends that after COMMIT (ADR
   * 023). Every process defines it as it starts, under a lock: the function is the pg-boss of the
   * process that started last. Beside it `build_queue_position` (queuePositionFunction); and a
   * worker guards the claims with its BUILDS_PER_USER, as it applies its queue options
   * (userBuildLimitGuard).
   */
  private async defineQueueFunctions(): Promise<void> {
    // getQueue answers the queue's job table too, though pg-boss's types leave it out.
    const queue = (await this.boss.getQueue(BUILD_QUEUE)) as { table?: unknown } | null;
    if (typeof queue?.table !== 'string') throw new Error(`pg-boss did not say which table queue ${BUILD_QUEUE} uses`);
    const insert = insertJobs(PG_BOSS_SCHEMA, { table: queue.table, name: BUILD_QUEUE, returnId: true, notify: false });
    if (insert.includes(FUNCTION_BODY_QUOTE)) throw new Error('pg-boss gave a job insert that cannot be wrapped');
    const guard = this.roles.runsWorker
      ? userBuildLimitGuard(PG_BOSS_SCHEMA, queue.table, BUILD_QUEUE, this.config.buildsPerUser)
      : '';
    const { namespace, key } = QUEUE_FUNCTIONS_LOCK;
    // Statements sent together run as one implicit transaction: the lock covers the definition,
    // and two processes starting at once do not collide on it.
    await this.boss.getDb().executeSql(
      `SELECT pg_advisory_xact_lock(${namespace}, ${key});
       CREATE OR REPLACE FUNCTION build_queue_insert(jobs text) RETURNS SETOF uuid LANGUAGE plpgsql AS ${FUNCTION_BODY_QUOTE}
       BEGIN
         RETURN QUERY ${insert};
       END ${FUNCTION_BODY_QUOTE};
       ${queuePositionFunction(PG_BOSS_SCHEMA, queue.table, BUILD_QUEUE)}
       ${guard}`,
    );
  }

  /**
   * Wakes the build workers of every process for a job a request just committed, with pg-boss's own
   * NOTIFY for the queue. Sent after COMMIT, not inside the request's transaction: PostgreSQL
   * serialises the commits of transactions that notify (a database-wide lock held through the
   * commit's flush), which made every create wait for every other create's fsync. It is only a hint:
   * a worker that misses it finds the job at its next poll, within a second. One is in flight at a
   * time, and the next follows at least WAKE_UP_INTERVAL_MS later: the first job after a quiet spell
   * wakes the workers at once, and under load one wake-up serves every job committed meanwhile.
   */
  wakeWorkers(): void {
    if (this.wakeUp) {
      this.wakeAgain = true;
      return;
    }
    this.wakeUp = this.sendWakeUps().finally(() => (this.wakeUp = undefined));
  }

  private async sendWakeUps(): Promise<void> {
    for (;;) {
      this.wakeAgain = false;
      await this.boss
        .getDb()
        .executeSql(this.wakeUpStatement)
        .catch((error: Error) => this.logger.warn(`waking the build workers failed: ${error.message}`));
      await delay(WAKE_UP_INTERVAL_MS);
      if (!this.wakeAgain) return;
    }
  }

  /** Lets running builds finish within the grace period, then hands the rest back to the queue. */
  async onModuleDestroy(): Promise<void> {
    await this.wakeUp;
    await this.boss.stop({ graceful: true, timeout: this.config.shutdownGraceMs });
  }

  /** Throws unless the queue's own connection pool reaches the queue (readiness). */
  async assertReachable(): Promise<void> {
    if ((await this.boss.getQueue(BUILD_QUEUE)) === null) throw new Error(`queue ${BUILD_QUEUE} is missing`);
  }

  /**
   * Starts consuming build jobs, `concurrency` at a time in this process and `buildsPerUser` of one
   * user (the job's group) at a time across every process. A rejected handler is a failed attempt:
   * pg-boss retries it with the queue's backoff until the job's retry limit, then moves it to the
   * abandoned queue.
   */
  async consume(handler: (job: BuildJobAttempt) => Promise<void>): Promise<void> {
    // One pg-boss worker per slot, woken as soon as its build is done: pg-boss otherwise waits out
    // the rest of its polling interval after each job (NOTIFY wakes it only for jobs sent meanwhile),
    // so a backlog of builds shorter than a second drained at BUILD_CONCURRENCY per second
    // (docs/benchmarks.md).
    for (let slot = 0; slot < this.config.concurrency; slot++) {
      const workerId: string = await this.boss.work(
        BUILD_QUEUE,
        { ...this.workOptions(), localConcurrency: 1, groupConcurrency: this.config.buildsPerUser },
        async ([job]: BuildJobAttempt[]) => {
          try {
            await handler(job);
          } finally {
            this.boss.notifyWorker(workerId);
          }
        },
      );
    }
  }

  /** Starts consuming the jobs pg-boss gave up on (see ABANDONED_BUILD_QUEUE). */
  async consumeAbandoned(handler: (job: BuildJob) => Promise<void>): Promise<void> {
    await this.boss.work(ABANDONED_BUILD_QUEUE, this.workOptions(), async ([job]: BuildJobAttempt[]) =>
      handler(job.data),
    );
  }

  /** Deletes the project's jobs still waiting to run, inside the caller's transaction. */
  async deleteQueuedFor(manager: EntityManager, projectId: string): Promise<void> {
    const db = transactionDatabase(manager);
    const queued = await this.boss.findJobs<BuildJob>(BUILD_QUEUE, { data: { projectId }, queued: true, db });
    if (queued.length > 0)
      await this.boss.deleteJob(
        BUILD_QUEUE,
        queued.map((job) => job.id),
        { db },
      );
  }

  /**
   * Cancels the build's job while it still waits to run (queued, or waiting for a retry), so no
   * worker takes it up. Called after a cancel has committed, and only a courtesy: a job that
   * escapes it (a worker took it meanwhile) finds its build finished and runs nothing.
   */
  async cancelWaiting(buildId: string): Promise<void> {
    const waiting = await this.boss.findJobs<BuildJob>(BUILD_QUEUE, { data: { buildId }, queued: true });
    if (waiting.length > 0)
      await this.boss.cancel(
        BUILD_QUEUE,
        waiting.map((job) => job.id),
      );
  }

  private workOptions(): WorkOptions & { includeMetadata: true } {
    // NOTIFY wakes the worker for new jobs; a retry that comes due sends none, so polling stays
    // short enough that a retry starts within a second of its backoff.
    return {
      batchSize: 1,
      localConcurrency: this.config.concurrency,
      includeMetadata: true,
      pollingIntervalSeconds: 1,
      notifyPollingIntervalSeconds: 1,
    };
  }

  private queueOptions(): Omit<Queue, 'name' | 'policy'> {
    const { maxAttempts, retryDelayMs, timeoutMs, heartbeatSeconds } = this.config;
    return {
      retryLimit: maxAttempts - 1,
      retryDelay: Math.ceil(retryDelayMs / 1000),
      retryBackoff: true,
      expireInSeconds: Math.ceil(timeoutMs / 1000) + EXPIRY_MARGIN_SECONDS,
      heartbeatSeconds,
      deadLetter: ABANDONED_BUILD_QUEUE,
      notify: true,
    };
  }
}

/** Lets pg-boss run its statements on the transaction's own connection. */
function transactionDatabase(manager: EntityManager): Db {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('enqueue needs the EntityManager of a running transaction');
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = (await runner.query(text, values, true)) as { records: unknown[] };
      return { rows: result.records };
    },
  };
}
