import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { entityFromRow } from '../database/entity-rows';
import { AiTimeBalance } from './ai-time-balance.entity';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';
import { BillingConfig } from './billing.config';
import { BalanceLimitExceededError } from './billing.errors';

/** A user's AI time as the API shows it: these columns of the user's balance. */
export type AiTimeBalanceView = Pick<AiTimeBalance, 'userId' | 'secondsRemaining' | 'secondsUsed'>;

/**
 * Owns `ai_time_balances` and the ledger rows that add to them (`welcome`, `grant`); debits belong
 * to AiTimeSessionsService. Writers hold the user's advisory lock, except debits, which only lower
 * a balance. A create or update checks the balance inside its database function.
 */
@Injectable()
export class AiTimeBalancesService {
  constructor(private readonly config: BillingConfig) {}

  /**
   * The balance, created with the welcome seconds (and its ledger row) if the user is new: the same
   * step create_project and update_project take (migration BuildRequestFunctions).
   */
  async ensure(manager: EntityManager, userId: string): Promise<AiTimeBalanceView> {
    // The function's OUT parameters, not a row of the table.
    const [ensured] = await manager.query<{ seconds_remaining: number; seconds_used: number }[]>(
      'SELECT seconds_remaining, seconds_used FROM ai_time_balances_ensure($1, $2)',
      [userId, this.config.welcomeSeconds],
    );
    return { userId, secondsRemaining: ensured.seconds_remaining, secondsUsed: ensured.seconds_used };
  }

  /** The stored balance, or what a user never seen would start with; writes nothing. */
  async read(manager: EntityManager, userId: string): Promise<AiTimeBalanceView> {
    const balance = await manager.getRepository(AiTimeBalance).findOneBy({ userId });
    return balance ? view(balance) : { userId, secondsRemaining: this.config.welcomeSeconds, secondsUsed: 0 };
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
    const [row] = await manager.query<Record<string, unknown>[]>(
      `WITH entry AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, reason) VALUES ($1, 'grant', $2, $3)
       ), granted AS (
         UPDATE ai_time_balances
            SET seconds_remaining = seconds_remaining + $2, updated_at = now()
          WHERE user_id = $1
         RETURNING *
       )
       SELECT * FROM granted`,
      [current.userId, seconds, reason],
    );
    return view(entityFromRow(manager.getRepository(AiTimeBalance), row));
  }
}

function view({ userId, secondsRemaining, secondsUsed }: AiTimeBalance): AiTimeBalanceView {
  return { userId, secondsRemaining, secondsUsed };
}
