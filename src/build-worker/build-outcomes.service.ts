import { Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { EntityManager } from 'typeorm';
import { billableSeconds } from '../billing/ai-time-policy';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { userLock } from '../database/advisory-lock';
import { DatabaseUnavailableError, RequestInProgressError } from '../database/database.errors';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { BuildWorkerMetricsService } from '../metrics/build-worker-metrics.service';
import { ProjectsService } from '../projects/projects.service';
import { VersionsService } from '../versions/versions.service';
import { WebhookOutboxService } from '../webhooks/webhook-outbox.service';
import { BuildOutputsService } from '../workspace/build-outputs.service';
import { BuildJob } from '../build-queue/build-job';
import { BuildMetrics } from '../builds/build-metrics.entity';
import { BuildsService } from '../builds/builds.service';

/** The error a build gets when the queue gave up on it without an outcome from its worker. */
export const ABANDONED_BUILD_ERROR =
  'failed: the build was stopped before it finished (its worker stopped or shut down)';

/** Tries of one step before the worker gives up on it (and pg-boss retries the job). */
const STEP_TRIES = 6;
const STEP_RETRY_DELAY_MS = 250;

/**
 * Records what happens to a build, each step in a transaction of its own under the user's lock and
 * each fenced to the attempt that reports it: a version row exists only for a build that succeeded,
 * its session is closed and billed once and its webhook event recorded with its outcome, and an
 * attempt that is no longer current (superseded, deleted, already recorded) changes nothing.
 *
 * Billing policy (ADR 008): a build is charged the running time of the attempts that reported it,
 * at least a second; an attempt whose worker died cannot report and is not charged.
 */
@Injectable()
export class BuildOutcomesService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly builds: BuildsService,
    private readonly projects: ProjectsService,
    private readonly versions: VersionsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly outputs: BuildOutputsService,
    private readonly metrics: BuildWorkerMetricsService,
    private readonly webhooks: WebhookOutboxService,
  ) {}

  /**
   * Starts an attempt: the build `running`, the project `building`. Returns the build (its
   * `attempts` numbers this attempt) and the project's name, or undefined when the build has
   * finished or is gone.
   */
  async startAttempt(job: BuildJob): Promise<{ build: BuildMetrics; projectName: string } | undefined> {
    return this.step(job.userId, async ({ manager }) => {
      const build = await this.builds.startAttempt(manager, job.buildId);
      if (!build) return undefined;
      await this.projects.markBuilding(manager, job.projectId, job.buildId);
      return { build, projectName: (await this.projects.nameOf(manager, job.projectId)) ?? '' };
    });
  }

  isAttemptCurrent(manager: EntityManager, build: BuildMetrics): Promise<boolean> {
    return this.builds.isAttemptCurrent(manager, build.buildId, build.attempts);
  }

  /** An attempt that will be retried (or was stopped) adds its running time; the build stays `running`. */
  async recordAttemptTime(build: BuildMetrics): Promise<void> {
    await this.step(build.userId, ({ manager }) =>
      this.builds.recordAttemptTime(manager, build.buildId, build.attempts),
    );
  }

  /**
   * The attempt succeeded: publishes its output as the version's, then the version row, the project
   * `ready` with its new current version, and the session billed, all in one transaction. False
   * when the attempt was no longer current: nothing was recorded or published.
   */
  async recordSuccess(build: BuildMetrics): Promise<boolean> {
    const { buildId, projectId, userId } = build;
    const recorded = await this.step(userId, async ({ manager, onRollback }) => {
      const finished = await this.builds.finishAttempt(manager, buildId, build.attempts, { status: 'succeeded' });
      if (!finished) return undefined;
      onRollback(await this.outputs.publishAttemptOutput(userId, projectId, buildId, build.attempts));
      await this.versions.recordSucceeded(manager, {
        versionId: build.versionId,
        buildId,
        projectId,
        userId,
        prompt: build.prompt,
        framework: build.framework,
        artifactPath: this.outputs.buildOutputPath(buildId),
      });
      await this.projects.markBuildFinished(manager, projectId, buildId, {
        status: 'ready',
        versionId: build.versionId,
      });
      const secondsBilled = await this.bill(manager, buildId, finished.durationMs);
      const { versionId } = build;
      const data = { userId, projectId, buildId, versionId, status: 'succeeded', secondsBilled } as const;
      await this.webhooks.record(manager, { type: 'build.succeeded', data });
      return finished;
    });
    if (!recorded) return false;
    this.metrics.buildFinished('succeeded', recorded.durationMs);
    await this.outputs.removeAttemptOutputs(userId, projectId, buildId);
    return true;
  }

  /** The last attempt failed: the build `failed` with the error, the project `failed`, no version. */
  async recordFailure(build: BuildMetrics, error: string): Promise<void> {
    const recorded = await this.step(build.userId, async ({ manager }) => {
      const outcome = { status: 'failed', error } as const;
      const finished = await this.builds.finishAttempt(manager, build.buildId, build.attempts, outcome);
      if (finished) await this.closeFailed(manager, build, error, finished.durationMs);
      return finished;
    });
    if (!recorded) return;
    this.metrics.buildFinished('failed', recorded.durationMs);
    await this.outputs.removeAttemptOutputs(build.userId, build.projectId, build.buildId);
  }

  /** The queue gave up on the build's job without an outcome (see ABANDONED_BUILD_QUEUE). */
  async recordAbandoned(job: BuildJob): Promise<void> {
    const recorded = await this.step(job.userId, async ({ manager }) => {
      const finished = await this.builds.failAbandoned(manager, job.buildId, ABANDONED_BUILD_ERROR);
      if (finished) await this.closeFailed(manager, job, ABANDONED_BUILD_ERROR, finished.durationMs);
      return finished;
    });
    if (!recorded) return;
    this.metrics.buildFinished('failed', recorded.durationMs);
    await this.outputs.removeAttemptOutputs(job.userId, job.projectId, job.buildId);
  }

  /**
   * Bills the project's builds that have run but not finished, inside the caller's transaction: a
   * delete calls this before the builds' rows (and sessions) go, so stopping a build early never
   * makes it free. The running worker notices its build is gone and stops (AttemptLease).
   */
  async billUnfinished(manager: EntityManager, projectId: string): Promise<void> {
    for (const { buildId, usedMs } of await this.builds.usageOfUnfinished(manager, projectId)) {
      await this.sessions.closeAndDebit(manager, { buildId, secondsUsed: billableSeconds(usedMs) });
    }
  }

  private async closeFailed(
    manager: EntityManager,
    { userId, projectId, buildId }: Pick<BuildJob, 'userId' | 'projectId' | 'buildId'>,
    error: string,
    durationMs: number,
  ) {
    await this.projects.markBuildFinished(manager, projectId, buildId, { status: 'failed' });
    const secondsBilled = await this.bill(manager, buildId, durationMs);
    const data = { userId, projectId, buildId, status: 'failed', error, secondsBilled } as const;
    await this.webhooks.record(manager, { type: 'build.failed', data });
  }

  /** Closes the build's session and debits its time; the seconds billed (none when it was already billed). */
  private async bill(manager: EntityManager, buildId: string, durationMs: number): Promise<number> {
    const secondsUsed = billableSeconds(durationMs);
    return (await this.sessions.closeAndDebit(manager, { buildId, secondsUsed })) ? secondsUsed : 0;
  }

  /**
   * One step in its own transaction under the user's lock. What a short wait resolves (the lock held
   * by the user's requests, a lost connection) is retried, so a finished build is not left
   * unrecorded by a blip; every step is idempotent, so a retry repeats nothing.
   */
  private async step<T>(userId: string, work: (transaction: Transaction) => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.transactions.inTransaction(userLock(userId), work);
      } catch (error) {
        const transient = error instanceof RequestInProgressError || error instanceof DatabaseUnavailableError;
        if (!transient || tries === STEP_TRIES) throw error;
        await delay(STEP_RETRY_DELAY_MS * 2 ** (tries - 1));
      }
    }
  }
}
