import { Injectable, Logger } from '@nestjs/common';
import { canceledBuildSeconds } from '../billing/ai-time-policy';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { BuildReadsService } from '../builds/build-reads.service';
import { BuildFinishedError } from '../builds/builds.errors';
import { BuildsService } from '../builds/builds.service';
import type { BuildResponse } from '../builds/dto/build.response';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { BuildWorkerMetricsService } from '../metrics/build-worker-metrics.service';
import { ProjectsService } from '../projects/projects.service';
import { WebhookOutboxService } from '../webhooks/webhook-outbox.service';
import { BuildOutputsService } from '../workspace/build-outputs.service';

/**
 * Cancels a build for its owner (ADR 035), in one transaction under the user's lock, which every
 * outcome the worker records takes too: the build `canceled` (fenced to a build still queued or
 * running, so a cancel and the worker's success or failure have exactly one winner), the project
 * `ready` on its current version (`failed` without one), the session closed and the time the attempts ran billed
 * once, and `build.canceled` recorded. No version is recorded and nothing is published: the
 * worker's attempt is no longer current, so it records nothing, and it hears of the cancel
 * (BuildStatusListener) and stops.
 */
@Injectable()
export class BuildCancelService {
  private readonly logger = new Logger(BuildCancelService.name);

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly reads: BuildReadsService,
    private readonly builds: BuildsService,
    private readonly projects: ProjectsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly queue: BuildQueueService,
    private readonly outputs: BuildOutputsService,
    private readonly metrics: BuildWorkerMetricsService,
    private readonly webhooks: WebhookOutboxService,
  ) {}

  /**
   * The build as `GET /v1/builds/:buildId` reads it once canceled; one already canceled is answered
   * as it is, and changes nothing. Rejects with `build_not_found` (unknown or another user's) and
   * `build_finished` (it succeeded or failed first).
   */
  async cancel(userId: string, buildId: string): Promise<BuildResponse> {
    const { build, canceled } = await this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      // The row alone: a queued build's place in line would be computed under the lock for nothing.
      const before = await this.reads.findOwned(userId, buildId, manager);
      if (before.status === 'succeeded' || before.status === 'failed') {
        throw new BuildFinishedError(buildId, before.status);
      }
      const ended = await this.builds.cancel(manager, buildId);
      if (ended) {
        await this.projects.markBuildCanceled(manager, before.projectId, buildId);
        const secondsUsed = canceledBuildSeconds(ended.durationMs, ended.attempts);
        const secondsBilled = (await this.sessions.closeAndDebit(manager, { buildId, secondsUsed })) ? secondsUsed : 0;
        const { projectId } = before;
        const data = { userId, projectId, buildId, status: 'canceled', secondsBilled } as const;
        await this.webhooks.record(manager, { type: 'build.canceled', data });
      }
      return { build: await this.reads.getOwned(userId, buildId, manager), canceled: ended };
    });
    if (canceled) {
      this.metrics.buildFinished('canceled', canceled.durationMs);
      await this.tidyAfter(userId, build);
    }
    return build;
  }

  /**
   * Once the cancel has committed: its job, if it still waits, is taken out of the queue, and what
   * earlier attempts left unpublished (a worker that died) is removed. Both only tidy up, so a
   * failure is logged and the cancel stands: a job that still comes runs nothing, and a running
   * attempt removes its own output when it stops.
   */
  private async tidyAfter(userId: string, { buildId, projectId }: BuildResponse): Promise<void> {
    const tidy = (what: string, work: Promise<void>): Promise<void> =>
      work.catch((error: Error) => this.logger.warn(`canceled build ${buildId}: ${what} failed: ${error.message}`));
    await Promise.all([
      tidy('canceling its waiting job', this.queue.cancelWaiting(buildId)),
      tidy('removing its attempt outputs', this.outputs.removeAttemptOutputs(userId, projectId, buildId)),
    ]);
  }
}
