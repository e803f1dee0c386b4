import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { BuildInProgressError } from '../builds/builds.errors';
import { BuildsService } from '../builds/builds.service';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { ProjectMetrics } from '../metrics/project-metrics.service';
import { Project } from '../projects/project.entity';
import { ProjectNotFoundError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';
import { BuildRequestFlow, RequestOutcome } from './build-request-flow';
import { BuildStarter } from './build-starter.service';
import { UpdateProjectRequest } from './dto/update-project.request';
import { UpdateProjectResponse } from './dto/update-project.response';

const OPERATION = { method: 'POST', path: '/v1/update-project' } as const;

/** The partial unique index that allows one queued or running build per project. */
const ONE_ACTIVE_BUILD_INDEX = 'project_build_metrics_one_active_idx';

/**
 * Queues a new build of an existing project in one transaction under the owner's advisory lock:
 * build, project switched to it (and to its framework), AI-time session, queued job and idempotency
 * record exist together or not at all. Replays, the balance check and the rate limit are the
 * create's (BuildRequestFlow); there is no dedupe window: CONTRACT.md answers an identical update
 * without a key while its build is queued like any other update then, 409 build_in_progress.
 */
@Injectable()
export class UpdateProjectService {
  private readonly flow: BuildRequestFlow<UpdateProjectResponse>;

  constructor(
    transactions: TransactionRunner,
    idempotency: IdempotencyService,
    rateLimits: UserRateLimitService,
    balances: AiTimeBalancesService,
    private readonly projects: ProjectsService,
    private readonly builds: BuildsService,
    private readonly buildStarter: BuildStarter,
    private readonly metrics: ProjectMetrics,
  ) {
    this.flow = new BuildRequestFlow(
      { transactions, idempotency, rateLimits, balances },
      { ...OPERATION, successStatus: 202, keylessRepeats: { dedupeWindow: false, answer: buildInProgress } },
    );
  }

  update(request: UpdateProjectRequest, idempotencyKey?: string): Promise<RequestOutcome<UpdateProjectResponse>> {
    return this.metrics.observeUpdate(() =>
      this.flow.run(request, idempotencyKey, {
        check: (transaction) => this.checkProject(transaction, request),
        start: (transaction, project) => this.queueBuild(transaction, request, project),
      }),
    );
  }

  /** 404 for an unknown or foreign project (existence is not revealed), 409 while a build is active. */
  private async checkProject({ manager }: Transaction, { userId, projectId }: UpdateProjectRequest): Promise<Project> {
    const project = await this.projects.findOwned(manager, projectId, userId);
    if (!project) throw new ProjectNotFoundError(projectId);
    const active = await this.builds.findActive(manager, projectId);
    if (active !== undefined) throw new BuildInProgressError(active);
    return project;
  }

  /**
   * Queues the build; a build that became active after the check (the index refused a second one)
   * is the same 409. The savepoint keeps the transaction usable to name that build.
   */
  private async queueBuild(
    { manager }: Transaction,
    { userId, projectId, prompt, framework }: UpdateProjectRequest,
    project: Project,
  ): Promise<UpdateProjectResponse> {
    await manager.query('SAVEPOINT update_project_build');
    try {
      const queued = await this.buildStarter.start(manager, {
        projectId,
        userId,
        prompt,
        framework: framework ?? project.framework,
        isInitialBuild: false,
      });
      await manager.query('RELEASE SAVEPOINT update_project_build');
      return queued;
    } catch (error) {
      if (!isActiveBuildConflict(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT update_project_build');
      throw new BuildInProgressError((await this.builds.findActive(manager, projectId)) ?? 'unknown');
    }
  }
}

/** A keyless twin of an update in flight: the build that update just queued is in progress. */
function buildInProgress(first: UpdateProjectResponse): never {
  throw new BuildInProgressError(first.buildId);
}

function isActiveBuildConflict(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return code === '23505' && constraint === ONE_ACTIVE_BUILD_INDEX;
}
