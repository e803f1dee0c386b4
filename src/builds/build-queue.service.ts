import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PgBoss } from 'pg-boss';
import type { Db, Job, Queue } from 'pg-boss';
import { EntityManager } from 'typeorm';
import { DatabaseConnection } from '../database/database-connection';
import { BuildQueueConfig, EXPIRY_MARGIN_SECONDS } from './build-queue.config';
import { BUILD_QUEUE, BuildJob } from './build-job';
import { BuildNotEnqueuedError } from './builds.errors';

/**
 * Owns the pg-boss build queue. Jobs are sent through the caller's transaction, so a job exists
 * exactly when the project and build rows it names do.
 */
@Injectable()
export class BuildQueueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BuildQueueService.name);
  private readonly boss: PgBoss;

  constructor(
    connection: DatabaseConnection,
    private readonly config: BuildQueueConfig,
  ) {
    this.boss = new PgBoss({
      connectionString: connection.url,
      application_name: 'sheen-build-queue',
      max: 3,
      useListenNotify: true,
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    const options = this.queueOptions();
    // createQueue leaves an existing queue's options alone, so apply the current ones explicitly.
    await this.boss.createQueue(BUILD_QUEUE, options);
    await this.boss.updateQueue(BUILD_QUEUE, options);
  }

  async onModuleDestroy(): Promise<void> {
    await this.boss.stop({ graceful: false });
  }

  /** Throws unless the queue's own connection pool reaches the queue (readiness). */
  async assertReachable(): Promise<void> {
    if ((await this.boss.getQueue(BUILD_QUEUE)) === null) throw new Error(`queue ${BUILD_QUEUE} is missing`);
  }

  /**
   * Starts consuming build jobs, one at a time in this process. A rejected handler is a failed
   * attempt: pg-boss retries it with the queue's backoff until the retry limit.
   */
  async consume(handler: (job: Job<BuildJob>) => Promise<void>): Promise<void> {
    // NOTIFY wakes the worker for new jobs; a retry that comes due sends none, so polling stays
    // short enough that a retry starts within a second of its backoff.
    await this.boss.work<BuildJob>(
      BUILD_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1 },
      async ([job]) => handler(job),
    );
  }

  /** Enqueues the build inside the caller's transaction and returns the job id. */
  async enqueue(manager: EntityManager, job: BuildJob): Promise<string> {
    const jobId = await this.boss.send(BUILD_QUEUE, job, { db: transactionDatabase(manager) });
    if (jobId === null) throw new BuildNotEnqueuedError(job.buildId);
    return jobId;
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

  private queueOptions(): Omit<Queue, 'name' | 'policy'> {
    const { maxAttempts, retryDelayMs, timeoutMs } = this.config;
    return {
      retryLimit: maxAttempts - 1,
      retryDelay: Math.ceil(retryDelayMs / 1000),
      retryBackoff: true,
      expireInSeconds: Math.ceil(timeoutMs / 1000) + EXPIRY_MARGIN_SECONDS,
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
