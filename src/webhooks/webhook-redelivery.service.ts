import { Injectable } from '@nestjs/common';
import { WEBHOOK_ENDPOINTS_LOCK } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { WebhookDeliveryResponse } from './dto/webhook-delivery.response';
import { WebhookDeliveryReadsService } from './webhook-delivery-reads.service';
import { WebhookDeliveryNotFoundError } from './webhook-delivery-not-found.error';
import { WEBHOOK_DELIVERY_CHANNEL } from './webhook-event';

/**
 * Sends a delivery again (`POST /v1/webhooks/deliveries/:deliveryId/redeliver`): writes
 * `webhook_deliveries` and `webhook_endpoints` (tables of this module). The delivery's row lock
 * orders it against the dispatcher's claim and answers.
 */
@Injectable()
export class WebhookRedeliveryService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly reads: WebhookDeliveryReadsService,
  ) {}

  /**
   * Makes the delivery pending and due now: the same event, so the same `webhook-id` and body; its
   * attempts count on. When its endpoint was turned off by a 410, turns it back on and makes every
   * delivery it has `disabled` (what the 410 disabled and what was recorded while it was off)
   * pending again, due now, each project's still in order (the dispatcher sends the oldest pending
   * one of each first). Answers the delivery as the list reads it.
   */
  async redeliver(deliveryId: string): Promise<WebhookDeliveryResponse> {
    const redelivered = await this.transactions.inTransaction(WEBHOOK_ENDPOINTS_LOCK, async ({ manager }) => {
      // Waits for the transactions recording an event to this endpoint (they hold its row FOR
      // SHARE): the next statement, with a snapshot of its own, then sees their disabled deliveries.
      const turnedOn = await manager.query<{ url: string }[]>(TURN_ENDPOINT_ON, [deliveryId]);
      return manager.query<{ delivery_id: string }[]>(REDELIVER, [deliveryId, turnedOn[0]?.url ?? null]);
    });
    if (redelivered.length === 0) throw new WebhookDeliveryNotFoundError(deliveryId);
    return this.reads.get(deliveryId);
  }
}

const TURN_ENDPOINT_ON = `
  WITH turned_on AS (
    DELETE FROM webhook_endpoints
     WHERE url = (SELECT endpoint_url FROM webhook_deliveries WHERE delivery_id = $1)
    RETURNING url
  )
  SELECT url FROM turned_on`;

// The delivery itself is left out of the disabled ones made pending (a row may be updated once per
// statement). The NOTIFY wakes the dispatchers once this commits, as a new event's does.
const REDELIVER = `
  WITH target AS (
    UPDATE webhook_deliveries
       SET status = 'pending', next_attempt_at = now(), delivered_at = NULL
     WHERE delivery_id = $1
    RETURNING delivery_id
  ), disabled_pending AS (
    UPDATE webhook_deliveries
       SET status = 'pending', next_attempt_at = now()
     WHERE endpoint_url = $2::text AND status = 'disabled' AND delivery_id <> $1
  )
  SELECT delivery_id, pg_notify('${WEBHOOK_DELIVERY_CHANNEL}', '') FROM target`;
