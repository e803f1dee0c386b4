import { Injectable } from '@nestjs/common';
import { BillingConfig } from '../billing/billing.config';
import { buildJobData } from '../build-queue/build-job';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { userLock } from '../database/advisory-lock';
import { lockedCall, placeholders, TransactionRunner } from '../database/transaction-runner';
import { newProjectId } from '../ids/ids';
import {
  IdempotencyService,
  inFlightKey,
  KEY_LIFETIME_HOURS,
  RequestIdentity,
} from '../idempotency/idempotency.service';
import { SingleFlight } from '../idempotency/single-flight';
import type { SignatureToSpend } from '../http/spent-signatures.service';
import { auditBuildRequest } from '../logging/build-request-audit';
import { ProjectMetricsService } from '../metrics/project-metrics.service';
import { DEFAULT_FRAMEWORK } from '../projects/framework';
import { DEFAULT_PROJECT_NAME } from '../projects/project.entity';
import { RateLimitsConfig } from '../rate-limits/rate-limits.config';
import { inSpan } from '../telemetry/spans';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';
import { BuildRequestAnswer, failureAnswer, settledCall } from './build-request-answer';
import { CreatePreviewRequest } from './dto/create-preview.request';
import { CreatePreviewResponse } from './dto/create-preview.response';
import { annotateQueuedBuild, newQueuedBuildIds } from './queued-build';
import { created, replayed, RequestOutcome } from '../idempotency/request-outcome';

const OPERATION = { method: 'POST', path: '/v1/create-preview-for-new-project' } as const;
const CREATE_PROJECT = settledCall(`create_project(${placeholders(19)})`);
const LOCKED_CREATE_PROJECT = lockedCall('create_project', CREATE_PROJECT);

type CreateAnswer = BuildRequestAnswer<CreatePreviewResponse>;

/**
 * POST /v1/create-preview-for-new-project: a project with its first build, all of it or nothing
 * (ADRs 023, 024).
 */
@Injectable()
export class CreatePreviewService {
  private readonly inFlight = new SingleFlight<RequestOutcome<CreatePreviewResponse>>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    private readonly billing: BillingConfig,
    private readonly rateLimits: RateLimitsConfig,
    private readonly directories: ProjectDirectoriesService,
    private readonly buildQueue: BuildQueueService,
    private readonly metrics: ProjectMetricsService,
  ) {}

  /**
   * A create, in order:
   * 1. identical creates in flight in this process, under the same signature, share the first
   *    one's (a storm of double-clicks takes one pooled connection, not one each);
   * 2. the ids are chosen: the project's (unless a legacy caller chose an unused one), the build's,
   *    its version's and its AI-time session's;
   * 3. the project's directory, for a fresh id (createAtFreshId; a caller's id: createAtCallersId);
   * 4. under the user's advisory lock, one statement that is the whole transaction: a call of
   *    `create_project` (migrations BuildRequestFunctions, BuildRequestSettled, AiTimeReservations,
   *    SignatureSpentByCreate): the request's signature spent (401 for a repeat it does not answer,
   *    ADR 031), a replay of the Idempotency-Key (or 422), an identical create inside the dedupe
   *    window, the balance less what the user's open builds reserved must cover this build's
   *    reservation (402), the rate limit (429), then the project, its build, session and job, and
   *    the answer recorded under the key or for the dedupe window. A refusal rolls it back, the
   *    spend with it, and the directory is removed;
   * 5. once it committed, the build workers are woken (not inside it: ADR 023); the ids go on the
   *    request's span and log lines, and one audit line says what was answered.
   */
  create(
    request: CreatePreviewRequest,
    idempotencyKey?: string,
    signature?: SignatureToSpend,
  ): Promise<RequestOutcome<CreatePreviewResponse>> {
    return this.metrics.observeCreate(async () => {
      const identity = this.idempotency.identify(OPERATION, request, idempotencyKey);
      const outcome = await this.coalesced(identity, signature, () => this.createOnce(request, identity, signature));
      auditBuildRequest('create-preview-for-new-project', request.userId, outcome);
      return outcome;
    });
  }

  /**
   * Without a key and with the dedupe window off, every create is one of its own. Only creates under
   * the same signature share one: the first one's statement spends it for all of them, while each
   * other signature must be spent by a statement of its own.
   */
  private async coalesced(
    identity: RequestIdentity,
    signature: SignatureToSpend | undefined,
    create: () => Promise<RequestOutcome<CreatePreviewResponse>>,
  ): Promise<RequestOutcome<CreatePreviewResponse>> {
    if (identity.key === undefined && this.idempotency.dedupeWindowMs === 0) return create();
    const key = `${inFlightKey(identity)}\n${signature?.mac.toString('hex') ?? ''}`;
    const { result, leader } = await this.inFlight.run(key, create);
    if (leader) return result;
    return identity.key === undefined ? deduplicated(result.body) : replayed(result.status, result.body);
  }

  private async createOnce(
    request: CreatePreviewRequest,
    identity: RequestIdentity,
    signature: SignatureToSpend | undefined,
  ): Promise<RequestOutcome<CreatePreviewResponse>> {
    const { userId } = request;
    const projectId = request.projectId ?? newProjectId();
    const build = newQueuedBuildIds();
    const values = [
      userId,
      identity.key ?? null,
      identity.fingerprint,
      KEY_LIFETIME_HOURS,
      this.idempotency.dedupeWindowMs,
      this.billing.welcomeSeconds,
      this.rateLimits.perMinute,
      this.billing.reserveSeconds,
      projectId,
      request.projectId === undefined ? 'server' : 'client',
      request.name ?? DEFAULT_PROJECT_NAME,
      request.framework ?? DEFAULT_FRAMEWORK,
      request.prompt,
      build.buildId,
      build.versionId,
      build.aiTimeSessionId,
      buildJobData({ buildId: build.buildId, projectId, userId, versionId: build.versionId }),
      signature?.mac ?? null,
      signature?.expiresAt ?? null,
    ];
    let answer: CreateAnswer;
    try {
      answer =
        request.projectId === undefined
          ? await this.createAtFreshId(userId, projectId, values)
          : await this.createAtCallersId(userId, projectId, values);
    } catch (error) {
      throw failureAnswer(error, { projectId, perMinute: this.rateLimits.perMinute });
    }
    switch (answer.answer) {
      case 'replay':
        return replayed(answer.status, answer.body);
      case 'dedupe':
        return deduplicated(answer.body);
    }
    annotateQueuedBuild(userId, answer.body);
    this.buildQueue.wakeWorkers();
    return created(answer.body, 201);
  }

  /**
   * Nothing can be at a fresh id's path, so its directory is made first and the create commits in
   * its one statement (ADR 024); the directory goes again unless that statement made the project.
   */
  private async createAtFreshId(userId: string, projectId: string, values: unknown[]): Promise<CreateAnswer> {
    const removeDirectory = () => this.directories.removeProjectDirectory(userId, projectId);
    await this.directories.createProjectDirectory(userId, projectId);
    const answer = await inSpan('db.create_project', () =>
      this.transactions.inOneStatement<CreateAnswer>(userLock(userId), LOCKED_CREATE_PROJECT, values, removeDirectory),
    );
    if (answer.answer !== 'created') await removeDirectory();
    return answer;
  }

  /**
   * A caller's id may name another project's directory, so the directory is made once the call has
   * found the id unused, in the same transaction, and removed again if it does not commit.
   */
  private createAtCallersId(userId: string, projectId: string, values: unknown[]): Promise<CreateAnswer> {
    return this.transactions.inTransaction(userLock(userId), async ({ query, onRollback }) => {
      const [{ answer }] = await inSpan('db.create_project', () =>
        query<{ answer: CreateAnswer }>(`SELECT ${CREATE_PROJECT} AS answer`, values),
      );
      if (answer.answer === 'created') {
        onRollback(() => this.directories.removeProjectDirectory(userId, projectId));
        await this.directories.createProjectDirectory(userId, projectId);
      }
      return answer;
    });
  }
}

/** An identical create without a key inside the dedupe window: the first project's body, flagged. */
function deduplicated(first: CreatePreviewResponse): RequestOutcome<CreatePreviewResponse> {
  return { status: 200, body: { ...first, deduplicated: true }, replayed: false };
}
