import { Injectable } from '@nestjs/common';
import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../builds/build-queue.service';
import { BuildsService } from '../builds/builds.service';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { DEFAULT_FRAMEWORK } from '../projects/framework';
import { DEFAULT_PROJECT_NAME } from '../projects/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { WorkspaceService } from '../workspace/workspace.service';
import { CreatePreviewRequest } from './dto/create-preview.request';
import { CreatePreviewResponse } from './dto/create-preview.response';

/**
 * Creates a project with its first build in one transaction under the user's advisory lock:
 * project, build, AI-time session, queued job and directory exist all together or not at all.
 */
@Injectable()
export class CreatePreviewService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly balances: AiTimeBalancesService,
    private readonly projects: ProjectsService,
    private readonly builds: BuildsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly buildQueue: BuildQueueService,
    private readonly workspace: WorkspaceService,
  ) {}

  async create(request: CreatePreviewRequest): Promise<CreatePreviewResponse> {
    const { userId, prompt } = request;
    const framework = request.framework ?? DEFAULT_FRAMEWORK;
    return this.transactions.inTransaction(userLock(userId), async ({ manager, onRollback }) => {
      await this.balances.assertCanStartBuild(manager, userId);
      const { projectId, idSource } = await this.projects.create(manager, {
        ownerId: userId,
        name: request.name ?? DEFAULT_PROJECT_NAME,
        framework,
        requestedId: request.projectId,
      });
      const build = await this.builds.recordQueued(manager, {
        projectId,
        userId,
        prompt,
        framework,
        isInitialBuild: true,
      });
      await this.projects.markBuildQueued(manager, projectId, build.buildId);
      const aiTimeSessionId = await this.sessions.open(manager, { userId, projectId, buildId: build.buildId });
      const jobId = await this.buildQueue.enqueue(manager, {
        buildId: build.buildId,
        projectId,
        userId,
        versionId: build.versionId,
      });
      onRollback(() => this.workspace.removeProjectDirectory(userId, projectId));
      await this.workspace.createProjectDirectory(userId, projectId);
      return {
        success: true,
        projectId,
        versionId: build.versionId,
        buildId: build.buildId,
        buildMetricsId: build.buildMetricsId,
        jobId,
        aiTimeSessionId,
        status: 'queued',
        idSource,
        createdBy: 'worker-service',
      };
    });
  }
}
