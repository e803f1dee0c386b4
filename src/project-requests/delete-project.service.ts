import { Injectable } from '@nestjs/common';
import { BuildOutcomesService } from '../build-worker/build-outcomes.service';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectNotFoundError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { WebhookOutboxService } from '../webhooks/webhook-outbox.service';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';

/**
 * Deletes a project under its owner's lock: bills the builds that already ran but have not finished,
 * deletes the row (its builds, versions and sessions go with it through cascading foreign keys;
 * billing history stays in the ledger) and its queued jobs, and records `project.deleted`; then
 * its directory once the delete has committed. A build still running notices its row is gone,
 * stops, and records nothing.
 */
@Injectable()
export class DeleteProjectService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly projects: ProjectsService,
    private readonly buildOutcomes: BuildOutcomesService,
    private readonly buildQueue: BuildQueueService,
    private readonly directories: ProjectDirectoriesService,
    private readonly webhooks: WebhookOutboxService,
  ) {}

  async delete(userId: string, projectId: string): Promise<void> {
    await this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      if (!(await this.projects.findOwned(manager, projectId, userId))) throw new ProjectNotFoundError(projectId);
      await this.buildOutcomes.billUnfinished(manager, projectId);
      await this.projects.delete(manager, projectId);
      await this.buildQueue.deleteQueuedFor(manager, projectId);
      await this.webhooks.record(manager, { type: 'project.deleted', data: { userId, projectId } });
    });
    await this.directories.removeProjectDirectory(userId, projectId);
  }
}
