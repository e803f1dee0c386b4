import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { counter, histogram } from './metrics-registry';

export type BuildOutcome = 'succeeded' | 'failed' | 'canceled';

/** Builds run from well under a second (the template builder) to the 10-minute default timeout. */
const BUILD_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** NOTIFY wakes a worker within milliseconds; polling (1 s) and busy workers make the tail. */
const PICKUP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the build worker of this process recorded: outcomes, billed durations, queue pickup latency. */
@Injectable()
export class BuildWorkerMetricsService {
  private readonly finished: Counter<'outcome'>;
  private readonly durationSeconds: Histogram<'outcome'>;
  private readonly pickupSeconds: Histogram;

  constructor(registry: Registry) {
    this.finished = counter(
      registry,
      'sheen_builds_finished_total',
      'Builds whose outcome this process recorded, by outcome.',
      ['outcome'],
    );
    this.durationSeconds = histogram(
      registry,
      'sheen_build_duration_seconds',
      "A finished build's billed running time (the sum of its attempts' running times), by outcome.",
      BUILD_SECONDS_BUCKETS,
      ['outcome'],
    );
    this.pickupSeconds = histogram(
      registry,
      'sheen_build_queue_pickup_seconds',
      "Time from a build job's creation (in the create or update transaction) to its first attempt's start.",
      PICKUP_SECONDS_BUCKETS,
    );
  }

  /** Called once per build, where its outcome was recorded (a cancel: in the API process that took it). */
  buildFinished(outcome: BuildOutcome, billedMs: number): void {
    this.finished.inc({ outcome });
    this.durationSeconds.observe({ outcome }, billedMs / 1000);
  }

  /** A job's first attempt started; `createdOn` is the job's creation on the database clock. */
  firstAttemptStarted(createdOn: Date): void {
    // Clocks of the database and of this process may differ slightly: never a negative wait.
    this.pickupSeconds.observe(Math.max(0, Date.now() - createdOn.getTime()) / 1000);
  }
}
