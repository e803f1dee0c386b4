import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BuildLogsService } from '../build-logs/build-logs.service';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectsService } from '../projects/projects.service';
import { VersionsService } from '../versions/versions.service';
import { WebhookRetentionService } from '../webhooks/webhook-retention.service';
import { BuildOutputsService } from '../workspace/build-outputs.service';
import { IntegrityAuditService } from './integrity-audit.service';
import { JanitorConfig } from './janitor.config';
import { tryRepair } from './repair';

/**
 * Versions one transaction expires: it holds the owner's lock while their files are removed, and the
 * owner's requests wait for that lock. A project with more left is picked again in the next round.
 */
const EXPIRED_PER_TRANSACTION = 20;

const WEBHOOK_EVENTS_PER_BATCH = 1000;
const WEBHOOK_EVENT_BATCHES_PER_ROUND = 10;

/**
 * Retention, run by the janitor (ADR 039): each project keeps the files of its newest VERSIONS_KEPT
 * versions and of its current one; older versions' files are removed and their rows marked expired,
 * so their previews answer `410 version_expired`. A failed or canceled build's log goes
 * FAILED_BUILDS_KEPT_DAYS after the build finished (ADR 037).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly config: JanitorConfig,
    private readonly transactions: TransactionRunner,
    private readonly audit: IntegrityAuditService,
    private readonly projects: ProjectsService,
    private readonly versions: VersionsService,
    private readonly outputs: BuildOutputsService,
    private readonly logs: BuildLogsService,
    private readonly webhookEvents: WebhookRetentionService,
  ) {}

  /** One delete of their `build_logs` rows, in the janitor's transaction: nothing else refers to a log. */
  async removeOldFailedBuildLogs(manager: EntityManager): Promise<void> {
    const buildIds = await this.audit.failedBuildLogsPastRetention(manager, this.config.failedBuildsKeptDays);
    if (buildIds.length === 0) return;
    const removed = await this.logs.remove(manager, buildIds);
    this.logger.log(
      `removed the logs of ${removed} builds that failed or were canceled over ${this.config.failedBuildsKeptDays} days ago`,
    );
  }

  /**
   * Settled webhook events past WEBHOOK_EVENTS_KEPT_DAYS, in batches so no one statement holds many
   * rows; what one round leaves, the next takes.
   */
  async removeOldWebhookEvents(manager: EntityManager): Promise<void> {
    const days = this.config.webhookEventsKeptDays;
    let removed = 0;
    for (let batch = 0; batch < WEBHOOK_EVENT_BATCHES_PER_ROUND; batch++) {
      const inBatch = await this.webhookEvents.removeSettledEvents(manager, days, WEBHOOK_EVENTS_PER_BATCH);
      removed += inBatch;
      if (inBatch < WEBHOOK_EVENTS_PER_BATCH) break;
    }
    if (removed > 0) this.logger.log(`removed ${removed} webhook events settled and over ${days} days old`);
  }

  async expireOldVersions(manager: EntityManager): Promise<void> {
    for (const { projectId, userId } of await this.audit.projectsOverRetention(manager, this.config.versionsKept)) {
      await tryRepair(this.logger, `expire old versions of project ${projectId}`, async () => {
        const expired = await this.expireVersionsOf(userId, projectId);
        if (expired > 0) this.logger.log(`expired ${expired} versions of project ${projectId} (user ${userId})`);
      });
    }
  }

  /**
   * Under the owner's lock, so the project's current version cannot change meanwhile. The files and
   * the builds' logs go before the rows commit: if the commit fails, the versions are still unexpired
   * with their files gone, which the audit reports (`version_without_output`) and the next round
   * expires again; in the other order a failure would leave expired versions whose files no round
   * removes (only the audit's `expired_version_output` would tell).
   */
  private expireVersionsOf(userId: string, projectId: string): Promise<number> {
    return this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      const project = await this.projects.findOwned(manager, projectId, userId);
      if (!project) return 0;
      const { versionsKept } = this.config;
      const expired = await this.versions.expireBeyondNewest(
        manager,
        projectId,
        versionsKept,
        project.currentVersionId,
        EXPIRED_PER_TRANSACTION,
      );
      for (const { buildId } of expired) await this.outputs.removePublishedOutput(userId, projectId, buildId);
      if (expired.length > 0)
        await this.logs.remove(
          manager,
          expired.map(({ buildId }) => buildId),
        );
      return expired.length;
    });
  }
}
