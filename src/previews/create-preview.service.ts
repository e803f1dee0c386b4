import { Injectable } from '@nestjs/common';
import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../builds/build-queue.service';
import { BuildsService } from '../builds/builds.service';
import { userLock } from '../database/advisory-lock';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService, RequestIdentity } from '../idempotency/idempotency.service';
import { requestFingerprint } from '../idempotency/request-fingerprint';
import { SingleFlight } from '../idempotency/single-flight';
import { DEFAULT_FRAMEWORK } from '../projects/framework';
import { DEFAULT_PROJECT_NAME } from '../projects/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';
import { WorkspaceService } from '../workspace/workspace.service';
import { created, CreatePreviewOutcome, deduplicated, replayed } from './create-preview.outcome';
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
  private readonly inFlight = new SingleFlight<CreatePreviewOutcome>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    private readonly rateLimits: UserRateLimitService,
    private readonly balances: AiTimeBalancesService,
    private readonly projects: ProjectsService,
    private readonly builds: BuildsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly buildQueue: BuildQueueService,
    private readonly workspace: WorkspaceService,
  ) {}

  async create(request: CreatePreviewRequest, idempotencyKey?: string): Promise<CreatePreviewOutcome> {
    const identity: RequestIdentity = {
      ownerId: request.userId,
      key: idempotencyKey,
      fingerprint: requestFingerprint(OPERATION.method, OPERATION.path, request),
    };
    if (identity.key === undefined && !this.idempotency.dedupeEnabled) return this.createOnce(request, identity);
    // Identical requests in flight in this process share one transaction (and one pooled connection).
    const { result, leader } = await this.inFlight.run(
      `${identity.ownerId}\n${identity.key ?? ''}\n${identity.fingerprint}`,
      () => this.createOnce(request, identity),
    );
    if (leader) return result;
    return identity.key === undefined ? deduplicated(result.body) : replayed(result.status, result.body);
  }

  private createOnce(request: CreatePreviewRequest, identity: RequestIdentity): Promise<CreatePreviewOutcome> {
    return this.transactions.inTransaction(userLock(request.userId), async (transaction) => {
      const { manager } = transaction;
      const replay = await this.idempotency.findReplay<CreatePreviewResponse>(manager, identity);
      if (replay) return replayed(replay.status, replay.body);
      if (identity.key === undefined) {
        const first = await this.idempotency.findRecentCreate<CreatePreviewResponse>(manager, identity);
        if (first) return deduplicated(first);
      }
      await this.balances.assertCanStartBuild(transaction.manager, request.userId);
      // Only a create that really starts counts: replays, dedupes and 402s above are free.
      await this.rateLimits.consume(request.userId);
      const body = await this.createProject(transaction, request);
      await this.idempotency.record(manager, identity, { status: 201, body });
      return created(body);
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
