import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BuildOutcomesService } from '../build-worker/build-outcomes.service';
import { WorkerConfig } from '../build-worker/worker.config';
import { JANITOR_LOCK, userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectsService } from '../projects/projects.service';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';
import { IntegrityAuditService } from './integrity-audit.service';
import { JanitorConfig } from './janitor.config';
import { tryRepair } from './repair';
import { RetentionService } from './retention.service';

/**
 * Repairs, in processes with the worker role, what the integrity audit finds and is safe to repair:
 * builds no job will ever finish are failed (closed and billed once, through BuildOutcomesService),
 * folders of no project are removed, and versions and failed builds' logs beyond retention go (RetentionService). Everything else is only
 * reported by `npm run audit:integrity`. One janitor acts at a time across processes (JANITOR_LOCK);
 * the others skip the round.
 */
@Injectable()
export class JanitorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JanitorService.name);
  private timer?: NodeJS.Timeout;
  private round?: Promise<boolean>;

  constructor(
    private readonly config: JanitorConfig,
    private readonly roles: WorkerConfig,
    private readonly transactions: TransactionRunner,
    private readonly audit: IntegrityAuditService,
    private readonly outcomes: BuildOutcomesService,
    private readonly projects: ProjectsService,
    private readonly directories: ProjectDirectoriesService,
    private readonly retention: RetentionService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.roles.runsWorker || this.config.intervalMs === 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error: Error) => {
        const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
        this.logger.warn(`janitor round failed: ${error.message}${cause}`);
      });
    }, this.config.intervalMs).unref();
  }

  /** Lets a round in progress finish, so it never runs on a closed pool. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.round?.catch(() => undefined);
  }

  /**
   * Runs one round, or joins the one this process is running. False when another process's janitor
   * holds the lock: this round is skipped.
   */
  runOnce(): Promise<boolean> {
    this.round ??= this.lockedRound().finally(() => (this.round = undefined));
    return this.round;
  }

  private async lockedRound(): Promise<boolean> {
    const round = await this.transactions.inTransactionIfFree(JANITOR_LOCK, async ({ manager }) => {
      await this.failBuildsWithoutLiveJob(manager);
      await this.removeDirectories(manager);
      await this.retention.expireOldVersions(manager);
      await this.retention.removeOldFailedBuildLogs(manager);
      await this.retention.removeOldWebhookEvents(manager);
    });
    return round !== undefined;
  }

  private async failBuildsWithoutLiveJob(manager: EntityManager): Promise<void> {
    const builds = await this.audit.buildsWithoutLiveJob(manager);
    for (const { buildId, projectId, userId, versionId, buildStatus } of builds) {
      await tryRepair(this.logger, `fail build ${buildId}`, async () => {
        // Fenced and idempotent: a build that finished meanwhile is left as it is.
        await this.outcomes.recordAbandoned({ buildId, projectId, userId, versionId });
        this.logger.log(
          `failed build ${buildId} of project ${projectId} (user ${userId}): ${buildStatus} with no live job`,
        );
      });
    }
  }

  private async removeDirectories(manager: EntityManager): Promise<void> {
    const { orphans } = await this.audit.removableDirectories(manager);
    for (const { userId, projectId } of orphans) {
      await tryRepair(this.logger, `remove the orphan directory ${userId}/${projectId}`, async () => {
        if (await this.removeOrphan(userId, projectId))
          this.logger.log(`removed orphan directory of project ${projectId} (user ${userId})`);
      });
    }
  }

  /**
   * Under the owner's lock, which a create holds until its project and directory have committed or
   * rolled back together, the project is checked to still be missing before its folder goes.
   */
  private removeOrphan(userId: string, projectId: string): Promise<boolean> {
    return this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      if (await this.projects.findOwned(manager, projectId, userId)) return false;
      return this.directories.removeOrphanProjectDirectory(userId, projectId);
    });
  }
}
