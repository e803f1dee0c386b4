import { Injectable } from '@nestjs/common';
import { BuildQueueService } from '../builds/build-queue.service';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectNotFoundError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { WorkspaceService } from '../workspace/workspace.service';

/**
 * Deletes a project under its owner's lock: the row (its builds, versions and sessions go with it
 * through cascading foreign keys; billing history stays in the ledger), its queued jobs, then its
 * directory once the delete has committed. A build already running finds its rows gone and records
 * nothing.
 */
@Injectable()
export class DeleteProjectService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly projects: ProjectsService,
    private readonly buildQueue: BuildQueueService,
    private readonly workspace: WorkspaceService,
  ) {}

  async delete(userId: string, projectId: string): Promise<void> {
    await this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      if (!(await this.projects.deleteOwned(manager, projectId, userId))) throw new ProjectNotFoundError(projectId);
      await this.buildQueue.deleteQueuedFor(manager, projectId);
    });
    await this.workspace.removeProjectDirectory(userId, projectId);
  }
}
