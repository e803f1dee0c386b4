import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newUlid } from '../ids/ids';
import { WEBHOOK_DELIVERY_CHANNEL, WebhookEventInput } from './webhook-event';
import { WebhooksConfig } from './webhooks.config';

/** A debit of a user's balance, as the billing reports it. */
export interface BalanceDebit {
  userId: string;
  secondsBefore: number;
  secondsAfter: number;
}

/**
 * Writes the outbox (`webhook_events`, `webhook_deliveries`) in the caller's transaction, so an
 * event exists exactly when what it tells has committed. Webhooks off (no WEBHOOK_URL): nothing.
 */
@Injectable()
export class WebhookOutboxService {
  constructor(private readonly config: WebhooksConfig) {}

  /**
   * One statement: the event, with the exact body every attempt sends (`{type, timestamp, data}`),
   * one delivery per configured endpoint, ordered by the event's project (or its user), and a NOTIFY
   * that wakes the dispatchers once the caller commits. A delivery to an endpoint a 410 turned off
   * is written `disabled`, so the redelivery that turns the endpoint back on sends it too, in order:
   * the endpoint's row is locked FOR SHARE until the caller commits, so that redelivery waits for
   * this delivery to be visible before it makes the endpoint's disabled deliveries pending, and a
   * record that waited for the redelivery finds the endpoint on.
   */
  async record(manager: EntityManager, event: WebhookEventInput): Promise<void> {
    if (this.config.urls.length === 0) return;
    const eventId = newUlid();
    const { userId } = event.data;
    const projectId = 'projectId' in event.data ? event.data.projectId : null;
    const body = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data });
    const { urls } = this.config;
    await manager.query(
      `WITH event AS (
         INSERT INTO webhook_events (event_id, type, user_id, project_id, body)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING event_id
       ), turned_off AS (
         SELECT url FROM webhook_endpoints WHERE url = ANY($7::text[]) FOR SHARE
       ), deliveries AS (
         INSERT INTO webhook_deliveries (delivery_id, event_id, endpoint_url, ordering_key, status)
         SELECT endpoint.delivery_id, event.event_id, endpoint.url, $6,
                CASE WHEN turned_off.url IS NULL THEN 'pending' ELSE 'disabled' END
           FROM event, unnest($7::text[], $8::text[]) AS endpoint (url, delivery_id)
           LEFT JOIN turned_off ON turned_off.url = endpoint.url
         RETURNING status
       )
       SELECT pg_notify('${WEBHOOK_DELIVERY_CHANNEL}', '')
         FROM (SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1) AS any_pending`,
      [eventId, event.type, userId, projectId, body, projectId ?? userId, urls, urls.map(() => newUlid())],
    );
  }

  /** `ai_time.low` when the debit took the balance from at least AI_TIME_LOW_SECONDS to below it. */
  async recordDebit(manager: EntityManager, { userId, secondsBefore, secondsAfter }: BalanceDebit): Promise<void> {
    const threshold = this.config.lowBalanceSeconds;
    if (secondsBefore < threshold || secondsAfter >= threshold) return;
    await this.record(manager, {
      type: 'ai_time.low',
      data: { userId, secondsRemaining: secondsAfter, thresholdSeconds: threshold },
    });
  }
}
