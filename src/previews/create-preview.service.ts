import { Injectable } from '@nestjs/common';
import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { ProjectMetrics } from '../metrics/project-metrics.service';
import { DEFAULT_FRAMEWORK } from '../projects/framework';
import { CREATED_BY_SERVICE, DEFAULT_PROJECT_NAME } from '../projects/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';
import { WorkspaceService } from '../workspace/workspace.service';
import { BuildRequestFlow, RequestOutcome } from './build-request-flow';
import { BuildStarter } from './build-starter.service';
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
    private readonly buildStarter: BuildStarter,
    private readonly workspace: WorkspaceService,
    private readonly metrics: ProjectMetrics,
  ) {
    this.flow = new BuildRequestFlow(
      { transactions, idempotency, rateLimits, balances },
      { ...OPERATION, successStatus: 201, keylessRepeats: { dedupeWindow: true, answer: deduplicated } },
    );
  }

  create(request: CreatePreviewRequest, idempotencyKey?: string): Promise<RequestOutcome<CreatePreviewResponse>> {
    return this.metrics.observeCreate(() =>
      this.flow.run(request, idempotencyKey, {
        check: () => Promise.resolve(),
        start: (transaction) => this.createProject(transaction, request),
      }),
    );
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
    const queued = await this.buildStarter.start(manager, {
      projectId,
      userId,
      prompt,
      framework,
      isInitialBuild: true,
    });
    onRollback(() => this.workspace.removeProjectDirectory(userId, projectId));
    await this.workspace.createProjectDirectory(userId, projectId);
    return { ...queued, idSource, createdBy: CREATED_BY_SERVICE };
  }
}

/** An identical create without a key inside the dedupe window: the first project's body, flagged. */
function deduplicated(first: CreatePreviewResponse): RequestOutcome<CreatePreviewResponse> {
  return { status: 200, body: { ...first, deduplicated: true }, replayed: false };
}
