import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WebhookOutboxService } from '../webhooks/webhook-outbox.service';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';

export interface BuildUsage {
  buildId: string;
  /**
   * Whole seconds to charge: `billableSeconds(elapsedMs)` of the build's attempts (at least 1), or 0
   * for a build canceled before any attempt started (`canceledBuildSeconds`).
   */
  secondsUsed: number;
}

/**
 * Owns `ai_time_sessions` (one per build, opened when the build is queued with the seconds it
 * reserves, closed once when it ends) and the ledger's `debit` rows (one per build). A session is
 * opened by the create and update database functions (`ai_time_sessions_open`; migration
 * AiTimeReservations).
 */
@Injectable()
export class AiTimeSessionsService {
  constructor(private readonly webhooks: WebhookOutboxService) {}

  /**
   * Bills a build that has ended (succeeded, failed, timed out or canceled), inside the caller's outcome
   * transaction: closes its session (`closed`, `closed_at`, `seconds_used`), which releases its
   * reservation, writes its one `debit` ledger row (`-secondsUsed`) and lowers the user's balance by
   * the same seconds. A start needs the balance less every open reservation to cover its own (ADR
   * 028), so a balance goes below zero only by what a build used beyond its reservation; the next
   * build is then refused until a grant.
   *
   * Policy (ADR 008): `secondsUsed` is the wall-clock time the build's attempts ran, summed, rounded
   * up to whole seconds and at least 1 (`billableSeconds`); queueing and the waits between retries
   * are free, and a build canceled before it started is charged 0 (its debit row says so, for the
   * audit). The caller measures it; this method only charges it.
   *
   * Exactly once, whatever the worker does: one statement in which the session's `active → closed`
   * update gates the ledger insert, whose `ON CONFLICT (build_id) DO NOTHING` in turn gates the
   * balance update. A repeated call (a retried job, a worker that crashed after committing) finds the
   * session closed and changes nothing; a concurrent call waits on the session row and then finds it
   * closed, and the session row is always locked before the ledger and the balance, so two calls
   * cannot deadlock each other. A build whose session is gone (its project was deleted) is not billed.
   *
   * The statement answers the balance after the debit, so a debit that takes it below
   * AI_TIME_LOW_SECONDS records `ai_time.low` in the same transaction (WebhookOutboxService).
   *
   * @returns true when this call closed the session and debited the seconds; false when it did nothing.
   */
  async closeAndDebit(manager: EntityManager, { buildId, secondsUsed }: BuildUsage): Promise<boolean> {
    if (!Number.isInteger(secondsUsed) || secondsUsed < 0 || secondsUsed > MAX_BALANCE_SECONDS) {
      throw new RangeError(`secondsUsed must be a whole number of seconds from 0: ${secondsUsed}`);
    }
    const [charged] = await manager.query<{ user_id: string; seconds_remaining: number }[]>(
      `WITH closed AS (
         UPDATE ai_time_sessions
            SET status = 'closed', closed_at = now(), seconds_used = $2::integer
          WHERE build_id = $1 AND status = 'active'
         RETURNING user_id
       ), debit AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, build_id, reason)
         SELECT user_id, 'debit', -$2::integer, $1, 'build' FROM closed
         ON CONFLICT (build_id) WHERE build_id IS NOT NULL DO NOTHING
         RETURNING user_id
       ), charged AS (
         UPDATE ai_time_balances AS balance
            SET seconds_remaining = balance.seconds_remaining - $2::integer,
                seconds_used = balance.seconds_used + $2::integer,
                updated_at = now()
           FROM debit
          WHERE balance.user_id = debit.user_id
         RETURNING balance.user_id, balance.seconds_remaining
       )
       SELECT user_id, seconds_remaining FROM charged`,
      [buildId, secondsUsed],
    );
    if (!charged) return false;
    await this.webhooks.recordDebit(manager, {
      userId: charged.user_id,
      secondsBefore: charged.seconds_remaining + secondsUsed,
      secondsAfter: charged.seconds_remaining,
    });
    return true;
  }
}
