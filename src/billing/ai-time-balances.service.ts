import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Traced } from '../telemetry/traced.decorator';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';
import { BillingConfig } from './billing.config';
import { BalanceLimitExceededError, InsufficientAiTimeError } from './billing.errors';

/** A user's AI time as the API shows it. */
export interface AiTimeBalanceView {
  userId: string;
  secondsRemaining: number;
  secondsUsed: number;
}

interface BalanceRow {
  seconds_remaining: number;
  seconds_used: number;
}

/**
 * Owns `ai_time_balances` and the ledger rows that add to them (`welcome`, `grant`); debits belong
 * to AiTimeSessionsService. Writers hold the user's advisory lock, except debits, which only lower
 * a balance.
 */
@Injectable()
export class AiTimeBalancesService {
  constructor(private readonly config: BillingConfig) {}

  /**
   * Creates the user's balance with the welcome seconds the first time they are seen (and records
   * the welcome in the ledger), then refuses a new build when nothing is left. One round trip.
   */
  @Traced('billing.check_balance')
  async assertCanStartBuild(manager: EntityManager, userId: string): Promise<void> {
    const { secondsRemaining } = await this.ensure(manager, userId);
    if (secondsRemaining <= 0) throw new InsufficientAiTimeError(secondsRemaining);
  }

  /** The balance, created with the welcome seconds (and its ledger row) if the user is new. */
  async ensure(manager: EntityManager, userId: string): Promise<AiTimeBalanceView> {
    const rows = await manager.query<BalanceRow[]>(
      `WITH welcomed AS (
         INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, $2)
         ON CONFLICT (user_id) DO NOTHING
         RETURNING user_id, seconds_remaining, seconds_used
       ), welcome_entry AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, reason)
         SELECT user_id, 'welcome', seconds_remaining, 'welcome' FROM welcomed
       )
       SELECT seconds_remaining, seconds_used FROM welcomed
       UNION ALL
       SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`,
      [userId, this.config.welcomeSeconds],
    );
    // Empty only when a writer not holding the user's lock inserted the row after this statement's
    // snapshot was taken; a new statement sees it.
    const [row] = rows.length > 0 ? rows : await this.select(manager, userId);
    return view(userId, row);
  }

  /** The stored balance, or what a user never seen would start with; writes nothing. */
  async read(manager: EntityManager, userId: string): Promise<AiTimeBalanceView> {
    const [row] = await this.select(manager, userId);
    return row ? view(userId, row) : { userId, secondsRemaining: this.config.welcomeSeconds, secondsUsed: 0 };
  }

  /**
   * Adds a grant to an existing balance and records it in the ledger, in one statement (a SELECT at
   * the top: TypeORM answers a top-level UPDATE with `[rows, count]`, not rows). The caller
   * holds the user's lock, so no other addition races the limit check (debits only lower it).
   */
  async grant(
    manager: EntityManager,
    current: AiTimeBalanceView,
    seconds: number,
    reason: string,
  ): Promise<AiTimeBalanceView> {
    if (current.secondsRemaining > MAX_BALANCE_SECONDS - seconds) {
      throw new BalanceLimitExceededError(current.secondsRemaining, seconds);
    }
    const [row] = await manager.query<BalanceRow[]>(
      `WITH entry AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, reason) VALUES ($1, 'grant', $2, $3)
       ), granted AS (
         UPDATE ai_time_balances
            SET seconds_remaining = seconds_remaining + $2, updated_at = now()
          WHERE user_id = $1
         RETURNING seconds_remaining, seconds_used
       )
       SELECT seconds_remaining, seconds_used FROM granted`,
      [current.userId, seconds, reason],
    );
    return view(current.userId, row);
  }

  private select(manager: EntityManager, userId: string): Promise<BalanceRow[]> {
    return manager.query<BalanceRow[]>(
      'SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1',
      [userId],
    );
  }
}

function view(userId: string, row: BalanceRow): AiTimeBalanceView {
  return { userId, secondsRemaining: row.seconds_remaining, secondsUsed: row.seconds_used };
}
