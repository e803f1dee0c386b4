import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BillingConfig } from './billing.config';
import { InsufficientAiTimeError } from './billing.errors';

/** Owns `ai_time_balances` and the ledger rows that change them. */
@Injectable()
export class AiTimeBalancesService {
  constructor(private readonly config: BillingConfig) {}

  /**
   * Creates the user's balance with the welcome seconds the first time they are seen (and records
   * the welcome in the ledger), then refuses a new build when nothing is left. One round trip.
   */
  async assertCanStartBuild(manager: EntityManager, userId: string): Promise<void> {
    const rows = await manager.query<{ seconds_remaining: number }[]>(
      `WITH welcomed AS (
         INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, $2)
         ON CONFLICT (user_id) DO NOTHING
         RETURNING user_id, seconds_remaining
       ), welcome_entry AS (
         INSERT INTO ai_time_ledger (user_id, kind, seconds, reason)
         SELECT user_id, 'welcome', seconds_remaining, 'welcome' FROM welcomed
       )
       SELECT seconds_remaining FROM welcomed
       UNION ALL
       SELECT seconds_remaining FROM ai_time_balances WHERE user_id = $1`,
      [userId, this.config.welcomeSeconds],
    );
    // Empty only when a writer not holding the user's lock inserted the row after this statement's
    // snapshot was taken; a new statement sees it.
    const [{ seconds_remaining: secondsRemaining }] =
      rows.length > 0
        ? rows
        : await manager.query<{ seconds_remaining: number }[]>(
            'SELECT seconds_remaining FROM ai_time_balances WHERE user_id = $1',
            [userId],
          );
    if (secondsRemaining <= 0) throw new InsufficientAiTimeError(secondsRemaining);
  }
}
