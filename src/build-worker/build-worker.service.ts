import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BuildWorkerMetricsService } from '../metrics/build-worker-metrics.service';
import { BuildOutcomesService } from './build-outcomes.service';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { BuildRunnerService } from './build-runner.service';
import { BUILDER } from './builders/builder';
import type { Builder } from './builders/builder';
import { WorkerConfig } from './worker.config';

/**
 * Consumes the build queue in processes that play the worker role. pg-boss's LISTEN/NOTIFY wakes
 * it the moment a create commits, in this process or any other; polling is only the fallback.
 */
@Injectable()
export class BuildWorkerService implements OnApplicationBootstrap {
  constructor(
    private readonly worker: WorkerConfig,
    private readonly buildQueue: BuildQueueService,
    private readonly runner: BuildRunnerService,
    private readonly outcomes: BuildOutcomesService,
    private readonly metrics: BuildWorkerMetricsService,
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
