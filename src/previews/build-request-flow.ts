import { AiTimeBalancesService } from '../billing/ai-time-balances.service';
import { userLock } from '../database/advisory-lock';
import { Transaction, TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService, RequestIdentity } from '../idempotency/idempotency.service';
import { requestFingerprint } from '../idempotency/request-fingerprint';
import { SingleFlight } from '../idempotency/single-flight';
import { UserRateLimitService } from '../rate-limits/user-rate-limit.service';
import { CreatePreviewResponse } from './dto/create-preview.response';

/** What a build-starting request ends in, ready for the controller to answer with. */
export interface RequestOutcome<Body> {
  status: number;
  body: Body;
  /** The answer is a stored one, replayed for a repeated Idempotency-Key (`Idempotent-Replayed`). */
  replayed: boolean;
}

/** What a create-preview request ends in. */
export type CreatePreviewOutcome = RequestOutcome<CreatePreviewResponse>;

export function created<Body>(body: Body, status = 201): RequestOutcome<Body> {
  return { status, body, replayed: false };
}

export function replayed<Body>(status: number, body: Body): RequestOutcome<Body> {
  return { status, body, replayed: true };
}

/** An identical request without a key inside the dedupe window: the first request's body, flagged. */
export function deduplicated<Body extends { deduplicated?: true }>(first: Body): RequestOutcome<Body> {
  return { status: 200, body: { ...first, deduplicated: true }, replayed: false };
}

/** What every build-starting request's transaction needs besides the work of its own. */
export interface BuildRequestCollaborators {
  transactions: TransactionRunner;
  idempotency: IdempotencyService;
  rateLimits: UserRateLimitService;
  balances: AiTimeBalancesService;
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
 * without a key inside the dedupe window gets the first answer, then the request's own checks, the
 * AI-time balance (402) and the rate limit (429, consumed only by requests that really start), the
 * work, and the stored answer. Identical requests in flight in this process share one transaction.
 * Errors are never stored.
 */
export class BuildRequestFlow<Body extends { deduplicated?: true }> {
  private readonly inFlight = new SingleFlight<RequestOutcome<Body>>();

  constructor(
    private readonly collaborators: BuildRequestCollaborators,
    private readonly operation: { method: string; path: string; successStatus: number },
  ) {}

  async run<Context>(
    request: { userId: string },
    idempotencyKey: string | undefined,
    steps: BuildRequestSteps<Context, Body>,
  ): Promise<RequestOutcome<Body>> {
    const identity: RequestIdentity = {
      ownerId: request.userId,
      key: idempotencyKey,
      fingerprint: requestFingerprint(this.operation.method, this.operation.path, request),
    };
    if (identity.key === undefined && !this.collaborators.idempotency.dedupeEnabled) {
      return this.runOnce(identity, steps);
    }
    // Identical requests in flight in this process share one transaction (and one pooled connection).
    const { result, leader } = await this.inFlight.run(
      `${identity.ownerId}\n${identity.key ?? ''}\n${identity.fingerprint}`,
      () => this.runOnce(identity, steps),
    );
    if (leader) return result;
    return identity.key === undefined ? deduplicated(result.body) : replayed(result.status, result.body);
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
      if (identity.key === undefined) {
        const first = await idempotency.findRecentCreate<Body>(manager, identity);
        if (first) return deduplicated(first);
      }
      const context = await steps.check(transaction);
      await balances.assertCanStartBuild(manager, identity.ownerId);
      // Only a request that really starts a build counts: replays, dedupes and refusals above are free.
      await rateLimits.consume(identity.ownerId);
      const body = await steps.start(transaction, context);
      const { successStatus } = this.operation;
      await idempotency.record(manager, identity, { status: successStatus, body });
      return created(body, successStatus);
    });
  }
}
