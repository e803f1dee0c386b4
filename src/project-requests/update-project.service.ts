import { Injectable } from '@nestjs/common';
import { BillingConfig } from '../billing/billing.config';
import { buildJobData } from '../build-queue/build-job';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { BuildInProgressError } from '../builds/builds.errors';
import { userLock } from '../database/advisory-lock';
import { lockedCall, placeholders, TransactionRunner } from '../database/transaction-runner';
import {
  IdempotencyService,
  inFlightKey,
  KEY_LIFETIME_HOURS,
  RequestIdentity,
} from '../idempotency/idempotency.service';
import { SingleFlight } from '../idempotency/single-flight';
import { auditBuildRequest } from '../logging/build-request-audit';
import { ProjectMetricsService } from '../metrics/project-metrics.service';
import { RateLimitsConfig } from '../rate-limits/rate-limits.config';
import { inSpan } from '../telemetry/spans';
import { BuildRequestAnswer, failureAnswer, settledCall } from './build-request-answer';
import { UpdateProjectRequest } from './dto/update-project.request';
import { UpdateProjectResponse } from './dto/update-project.response';
import { annotateQueuedBuild, newQueuedBuildIds } from './queued-build';
import { created, replayed, RequestOutcome } from '../idempotency/request-outcome';

const OPERATION = { method: 'POST', path: '/v1/update-project' } as const;
const UPDATE_PROJECT = lockedCall('update_project', settledCall(`update_project(${placeholders(14)})`));

/** An update has no dedupe window, so update_project never answers with one. */
type UpdateAnswer = Exclude<BuildRequestAnswer<UpdateProjectResponse>, { answer: 'dedupe' }>;

/** POST /v1/update-project: a new build of an existing project, all of it or nothing (ADRs 023, 024). */
@Injectable()
export class UpdateProjectService {
  private readonly inFlight = new SingleFlight<RequestOutcome<UpdateProjectResponse>>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    private readonly billing: BillingConfig,
    private readonly rateLimits: RateLimitsConfig,
    private readonly buildQueue: BuildQueueService,
    private readonly metrics: ProjectMetricsService,
  ) {}

  /**
   * An update, in order:
   * 1. identical updates in flight in this process share the first one's; a keyless twin is
   *    answered 409 build_in_progress with the build the first one queued (an update has no dedupe
   *    window: docs/contract.md);
   * 2. the build's ids are chosen;
   * 3. under the owner's advisory lock, one statement that is the whole transaction: a call of
   *    `update_project` (migrations BuildRequestFunctions, BuildRequestSettled, AiTimeReservations): a replay of the
   *    Idempotency-Key (or 422), the project (404 for an unknown or foreign one: existence is not
   *    revealed), no build queued or running (409), the balance (402), the rate limit (429), then
   *    the build, the project switched to it (and to its framework), its session and job, and the
   *    answer recorded under the key. A refusal rolls it back;
   * 4. once it committed, the build workers are woken (not inside it: ADR 023); the ids go on
   *    the request's span and log lines, and one audit line says what was answered.
   */
  update(request: UpdateProjectRequest, idempotencyKey?: string): Promise<RequestOutcome<UpdateProjectResponse>> {
    return this.metrics.observeUpdate(async () => {
      const identity = this.idempotency.identify(OPERATION, request, idempotencyKey);
      const { result, leader } = await this.inFlight.run(inFlightKey(identity), () =>
        this.updateOnce(request, identity),
      );
      if (!leader && identity.key === undefined) throw new BuildInProgressError(result.body.buildId);
      const outcome = leader ? result : replayed(result.status, result.body);
      auditBuildRequest('update-project', request.userId, outcome);
      return outcome;
    });
  }

  private async updateOnce(
    request: UpdateProjectRequest,
    identity: RequestIdentity,
  ): Promise<RequestOutcome<UpdateProjectResponse>> {
    const { userId, projectId } = request;
    const build = newQueuedBuildIds();
    const job = buildJobData({ buildId: build.buildId, projectId, userId, versionId: build.versionId });
    let answer: UpdateAnswer;
    try {
      answer = await inSpan('db.update_project', () =>
        this.transactions.inOneStatement<UpdateAnswer>(userLock(userId), UPDATE_PROJECT, [
          userId,
          identity.key ?? null,
          identity.fingerprint,
          KEY_LIFETIME_HOURS,
          this.billing.welcomeSeconds,
          this.rateLimits.perMinute,
          this.billing.reserveSeconds,
          projectId,
          request.framework ?? null,
          request.prompt,
          build.buildId,
          build.versionId,
          build.aiTimeSessionId,
          job,
        ]),
      );
    } catch (error) {
      throw failureAnswer(error, { projectId, perMinute: this.rateLimits.perMinute });
    }
    if (answer.answer === 'replay') return replayed(answer.status, answer.body);
    annotateQueuedBuild(userId, answer.body);
    this.buildQueue.wakeWorkers();
    return created(answer.body, 202);
  }
}
