import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BuildWorkerMetrics } from '../metrics/build-worker-metrics.service';
import { BuildOutcomes } from './build-outcomes.service';
import { BuildQueueService } from './build-queue.service';
import { BuildRunner } from './build-runner.service';
import { BUILDER } from './builders/builder';
import type { Builder } from './builders/builder';
import { WorkerConfig } from './worker.config';

/**
 * Consumes the build queue in processes that play the worker role. pg-boss's LISTEN/NOTIFY wakes
 * it the moment a create commits, in this process or any other; polling is only the fallback.
 */
@Injectable()
export class BuildWorker implements OnApplicationBootstrap {
  constructor(
    private readonly worker: WorkerConfig,
    private readonly buildQueue: BuildQueueService,
    private readonly runner: BuildRunner,
    private readonly outcomes: BuildOutcomes,
    private readonly metrics: BuildWorkerMetrics,
    @Inject(BUILDER) private readonly builder: Builder,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.worker.runsWorker) return;
    // A worker that cannot build (no sandbox here) stops at start, before it takes a job.
    await this.builder.prepare?.();
    await this.buildQueue.consume((job) => {
      // Retries wait out their backoff on purpose: only a first attempt's wait is pickup latency.
      if (job.retryCount === 0) this.metrics.firstAttemptStarted(job.createdOn);
      return this.runner.run({ data: job.data, isLastAttempt: job.retryCount >= job.retryLimit, signal: job.signal });
    });
    await this.buildQueue.consumeAbandoned((job) => this.outcomes.recordAbandoned(job));
  }
}
