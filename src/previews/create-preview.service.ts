import { Injectable } from '@nestjs/common';
import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../builds/build-queue.service';
import { BuildsService } from '../builds/builds.service';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { DEFAULT_FRAMEWORK } from '../projects/framework';
import { DEFAULT_PROJECT_NAME } from '../projects/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';
import { WorkspaceService } from '../workspace/workspace.service';
import { BuildRequestFlow, CreatePreviewOutcome } from './build-request-flow';
import { CreatePreviewRequest } from './dto/create-preview.request';
import { CreatePreviewResponse } from './dto/create-preview.response';

const OPERATION = { method: 'POST', path: '/v1/create-preview-for-new-project' } as const;

/**
 * Creates a project with its first build in one transaction under the user's advisory lock:
 * project, build, AI-time session, queued job, idempotency record and directory exist all together
 * or not at all. A repeated request (same Idempotency-Key, or an identical body inside the dedupe
 * window) gets the first request's answer instead of a second project, and does not count against
 * the user's rate limit.
 */
@Injectable()
export class CreatePreviewService {
  private readonly flow: BuildRequestFlow<CreatePreviewResponse>;

  constructor(
    transactions: TransactionRunner,
    idempotency: IdempotencyService,
    rateLimits: UserRateLimitService,
    balances: AiTimeBalancesService,
    private readonly projects: ProjectsService,
    private readonly builds: BuildsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly buildQueue: BuildQueueService,
    private readonly workspace: WorkspaceService,
  ) {
    this.flow = new BuildRequestFlow(
      { transactions, idempotency, rateLimits, balances },
      { ...OPERATION, successStatus: 201 },
    );
  }

  create(request: CreatePreviewRequest, idempotencyKey?: string): Promise<CreatePreviewOutcome> {
    return this.flow.run(request, idempotencyKey, {
      check: () => Promise.resolve(),
      start: (transaction) => this.createProject(transaction, request),
    });
  }

  private async createProject(
    { manager, onRollback }: Transaction,
    request: CreatePreviewRequest,
  ): Promise<CreatePreviewResponse> {
    const { userId, prompt } = request;
    const framework = request.framework ?? DEFAULT_FRAMEWORK;
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
  }
}
