import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { userLock } from '../database/advisory-lock';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService, RequestIdentity } from '../idempotency/idempotency.service';
import { requestFingerprint } from '../idempotency/request-fingerprint';
import { SingleFlight } from '../idempotency/single-flight';
import { auditBuildRequest } from '../logging/build-request-audit';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';

/** What a build-starting request ends in, ready for the controller to answer with. */
export interface RequestOutcome<Body> {
  status: number;
  body: Body;
  /** The answer is a stored one, replayed for a repeated Idempotency-Key (`Idempotent-Replayed`). */
  replayed: boolean;
}

export function created<Body>(body: Body, status = 201): RequestOutcome<Body> {
  return { status, body, replayed: false };
}

export function replayed<Body>(status: number, body: Body): RequestOutcome<Body> {
  return { status, body, replayed: true };
}

/** What every build-starting request's transaction needs besides the work of its own. */
export interface BuildRequestCollaborators {
  transactions: TransactionRunner;
  idempotency: IdempotencyService;
  rateLimits: UserRateLimitService;
  balances: AiTimeBalancesService;
}

/**
 * How a request without an Idempotency-Key that repeats an identical one of the same user is
 * answered: `answer(first)`, given the first request's body. With `dedupeWindow` (create) the first
 * body is remembered for DEDUPE_WINDOW_MS, repeats inside it are answered too, and nothing is
 * answered this way when the window is 0. Without it (update) only a repeat in flight together with
 * the first is; a later one goes through the request's own checks like any other.
 */
export interface KeylessRepeats<Body> {
  dedupeWindow: boolean;
  answer: (first: Body) => RequestOutcome<Body>;
}

/** What the flow runs: the method and path requests are fingerprinted with, and its answers. */
export interface BuildRequestOperation<Body> {
  method: string;
  path: string;
  successStatus: number;
  keylessRepeats: KeylessRepeats<Body>;
}

/** The request-specific parts of a build-starting request, run inside its transaction. */
export interface BuildRequestSteps<Context, Body> {
  /** Refusals of this request (404, 409, ...), after replay and dedupe, before the balance and rate limit. */
  check: (transaction: Transaction) => Promise<Context>;
  /** Writes the request's rows and returns the body to answer (and store) with. */
  start: (transaction: Transaction, context: Context) => Promise<Body>;
}

/**
 * The flow shared by the requests that start a build (ADR 012): in one transaction under the user's
 * advisory lock, a stored Idempotency-Key is replayed (or refused with 422), an identical request
 * without a key inside the dedupe window (if the operation has one) gets the first answer, then the
 * request's own checks, the AI-time balance (402) and the rate limit (429, consumed only by requests
 * that really start), the work, and the stored answer. Identical requests in flight in this process
 * share one transaction. Errors are never stored.
 */
export class BuildRequestFlow<Body extends object> {
  private readonly inFlight = new SingleFlight<RequestOutcome<Body>>();

  constructor(
    private readonly collaborators: BuildRequestCollaborators,
    private readonly operation: BuildRequestOperation<Body>,
  ) {}

  async run<Context>(
    request: { userId: string },
    idempotencyKey: string | undefined,
    steps: BuildRequestSteps<Context, Body>,
  ): Promise<RequestOutcome<Body>> {
    const outcome = await this.answer(request, idempotencyKey, steps);
    auditBuildRequest(this.operation.path.replace(/^\/v1\//, ''), request.userId, outcome);
    return outcome;
  }

  private async answer<Context>(
    request: { userId: string },
    idempotencyKey: string | undefined,
    steps: BuildRequestSteps<Context, Body>,
  ): Promise<RequestOutcome<Body>> {
    const identity: RequestIdentity = {
      ownerId: request.userId,
      key: idempotencyKey,
      fingerprint: requestFingerprint(this.operation.method, this.operation.path, request),
    };
    const { keylessRepeats } = this.operation;
    if (identity.key === undefined && !this.answersKeylessRepeats()) return this.runOnce(identity, steps);
    // Identical requests in flight in this process share one transaction (and one pooled connection).
    const { result, leader } = await this.inFlight.run(
      `${identity.ownerId}\n${identity.key ?? ''}\n${identity.fingerprint}`,
      () => this.runOnce(identity, steps),
    );
    if (leader) return result;
    return identity.key === undefined ? keylessRepeats.answer(result.body) : replayed(result.status, result.body);
  }

  /** An operation with a dedupe window answers no keyless repeat while the window is 0: each is new. */
  private answersKeylessRepeats(): boolean {
    return !this.operation.keylessRepeats.dedupeWindow || this.collaborators.idempotency.dedupeEnabled;
  }

  private runOnce<Context>(
    identity: RequestIdentity,
    steps: BuildRequestSteps<Context, Body>,
  ): Promise<RequestOutcome<Body>> {
    const { transactions, idempotency, balances, rateLimits } = this.collaborators;
    return transactions.inTransaction(userLock(identity.ownerId), async (transaction) => {
      const { manager } = transaction;
      const replay = await idempotency.findReplay<Body>(manager, identity);
      if (replay) return replayed(replay.status, replay.body);
      const { successStatus, keylessRepeats } = this.operation;
      if (identity.key === undefined && keylessRepeats.dedupeWindow) {
        const first = await idempotency.findRecentCreate<Body>(manager, identity);
        if (first) return keylessRepeats.answer(first);
      }
      const context = await steps.check(transaction);
      await balances.assertCanStartBuild(manager, identity.ownerId);
      // Only a request that really starts a build counts: replays, dedupes and refusals above are free.
      await rateLimits.consume(identity.ownerId);
      const body = await steps.start(transaction, context);
      await idempotency.recordKey(manager, identity, { status: successStatus, body });
      if (keylessRepeats.dedupeWindow) await idempotency.recordRecentCreate(manager, identity, body);
      return created(body, successStatus);
    });
  }
}
