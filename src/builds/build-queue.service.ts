import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PgBoss } from 'pg-boss';
import type { ConstructorOptions, Db, JobWithMetadata, Queue, WorkOptions } from 'pg-boss';
import type { PoolConfig } from 'pg';
import { EntityManager } from 'typeorm';
import { DatabaseConnection } from '../database/database-connection';
import { keepConnectionErrorsHeard } from '../database/data-source-options';
import { QUEUE_FUNCTIONS_LOCK } from '../database/advisory-lock';
import { BuildQueueConfig, EXPIRY_MARGIN_SECONDS } from './build-queue.config';
import { ABANDONED_BUILD_QUEUE, BUILD_QUEUE } from './build-job';
import type { BuildJob } from './build-job';
import { WorkerConfig } from './worker.config';

/**
 * How often a worker process looks for builds whose worker went silent (missed heartbeats, expired
 * claims) and hands them back: with the heartbeat, this bounds how soon a crashed build is retried.
 */
const SUPERVISE_INTERVAL_SECONDS = 10;

/** What the recorder answers pg-boss's `send` with (defineJobInsert); never stored. */
const RECORDED_JOB_ID = '00000000-0000-4000-8000-000000000000';
const FUNCTION_BODY_QUOTE = '$build_queue_insert$';

/** Whatever the job carries, plus pg-boss's own record of its retries and limits. */
export type BuildJobAttempt = JobWithMetadata<BuildJob>;

/**
 * Owns the pg-boss build queue. Jobs are inserted by the request's own transaction (through
 * `build_queue_insert`, see defineJobInsert), so a job exists exactly when the project and build
 * rows it names do. Only worker processes supervise the queue
 * and set its options, so API processes never fight them over the retry settings.
 */
@Injectable()
export class BuildQueueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BuildQueueService.name);
  private readonly boss: PgBoss;

  constructor(
    connection: DatabaseConnection,
    private readonly config: BuildQueueConfig,
    private readonly roles: WorkerConfig,
  ) {
    // pg-boss hands its options on to its pg.Pool, onConnect included.
    const options: ConstructorOptions & Pick<PoolConfig, 'onConnect'> = {
      connectionString: connection.url,
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
    await this.defineJobInsert();
  }

  /**
   * Defines `build_queue_insert(jobs text)`, which queue_project_build (migration
   * BuildRequestFunctions) calls to enqueue a build in the request's own statement: its body is the
   * very statement pg-boss's `send` runs for this queue (its columns, the queue's defaults, the
   * NOTIFY that wakes the workers), taken from the installed pg-boss by letting `send` write to a
   * recorder instead of the database. Every process defines it as it starts, under a lock, so the
   * function always matches the pg-boss the newest process runs.
   */
  private async defineJobInsert(): Promise<void> {
    let insert: string | undefined;
    const recorder: Db = {
      executeSql: (text: string) => {
        insert = text;
        return Promise.resolve({ rows: [{ id: RECORDED_JOB_ID }] });
      },
    };
    await this.boss.send(BUILD_QUEUE, {}, { db: recorder });
    if (insert === undefined || insert.includes(FUNCTION_BODY_QUOTE)) {
      throw new Error('pg-boss did not give a job insert statement that can be wrapped');
    }
    const { namespace, key } = QUEUE_FUNCTIONS_LOCK;
    // Statements sent together run as one implicit transaction: the lock covers the definition,
    // and two processes starting at once do not collide on it.
    await this.boss.getDb().executeSql(
      `SELECT pg_advisory_xact_lock(${namespace}, ${key});
       CREATE OR REPLACE FUNCTION build_queue_insert(jobs text) RETURNS SETOF uuid LANGUAGE plpgsql AS ${FUNCTION_BODY_QUOTE}
       BEGIN
         RETURN QUERY ${insert};
       END ${FUNCTION_BODY_QUOTE};`,
    );
  }

  /** Lets running builds finish within the grace period, then hands the rest back to the queue. */
  async onModuleDestroy(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: this.config.shutdownGraceMs });
  }

  /** Throws unless the queue's own connection pool reaches the queue (readiness). */
  async assertReachable(): Promise<void> {
    if ((await this.boss.getQueue(BUILD_QUEUE)) === null) throw new Error(`queue ${BUILD_QUEUE} is missing`);
  }

  /**
   * Starts consuming build jobs, `concurrency` at a time in this process. A rejected handler is a
   * failed attempt: pg-boss retries it with the queue's backoff until the job's retry limit, then
   * moves it to the abandoned queue.
   */
  async consume(handler: (job: BuildJobAttempt) => Promise<void>): Promise<void> {
    // One pg-boss worker per slot, woken as soon as its build is done: pg-boss otherwise waits out
    // the rest of its polling interval after each job (NOTIFY wakes it only for jobs sent meanwhile),
    // so a backlog of builds shorter than a second drained at BUILD_CONCURRENCY per second
    // (BENCHMARKS.md).
    for (let slot = 0; slot < this.config.concurrency; slot++) {
      const workerId: string = await this.boss.work(
        BUILD_QUEUE,
        { ...this.workOptions(), localConcurrency: 1 },
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
