import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * Retention of the outbox (ADR 040): an event whose deliveries are all settled (delivered, failed or
 * disabled) goes once it is older than the days kept, with its deliveries and their attempts.
 */
@Injectable()
export class WebhookRetentionService {
  /** One batch of the oldest such events, in the caller's transaction; how many went. */
  async removeSettledEvents(manager: EntityManager, keptDays: number, batch: number): Promise<number> {
    const [{ removed }] = await manager.query<{ removed: number }[]>(
      `WITH gone AS (
         DELETE FROM webhook_events WHERE event_id IN (
           SELECT event_id FROM webhook_events AS event
            WHERE created_at < now() - $1::integer * interval '1 day'
              AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries AS delivery
                 WHERE delivery.event_id = event.event_id AND delivery.status = 'pending')
            ORDER BY created_at
            LIMIT $2::integer)
         RETURNING 1
       )
       SELECT count(*)::int AS removed FROM gone`,
      [keptDays, batch],
    );
    return removed;
  }
}
