import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { WebhookDeliveryResponse } from './dto/webhook-delivery.response';
import { WebhookDeliveryReadsService } from './webhook-delivery-reads.service';
import { WebhookDeliveryNotFoundError } from './webhook-delivery-not-found.error';
import { WEBHOOK_DELIVERY_CHANNEL } from './webhook-event';

/**
 * Sends a delivery again (`POST /v1/webhooks/deliveries/:deliveryId/redeliver`): writes
 * `webhook_deliveries` and `webhook_endpoints` (tables of this module), in one statement, so it is
 * a transaction of its own and needs no lock: the delivery's row lock orders it against the
 * dispatcher's claim and answers.
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
   * delivery the 410 disabled pending again, due now, each project's still in order (the dispatcher
   * sends the oldest pending one of each first). Answers the delivery as the list reads it.
   */
  async redeliver(deliveryId: string): Promise<WebhookDeliveryResponse> {
    const redelivered = await this.transactions.alone<{ delivery_id: string }>(
      'webhook_deliveries_redeliver',
      REDELIVER,
      [deliveryId],
    );
    if (redelivered.length === 0) throw new WebhookDeliveryNotFoundError(deliveryId);
    return this.reads.get(deliveryId);
  }
}

// One statement: every part sees the same snapshot, so the delivery itself is left out of the
// disabled ones made pending (a row may be updated once per statement). Its NOTIFY wakes the
// dispatchers once it commits, as a new event's does.
const REDELIVER = `
  WITH target AS (
    UPDATE webhook_deliveries
       SET status = 'pending', next_attempt_at = now(), delivered_at = NULL
     WHERE delivery_id = $1
    RETURNING delivery_id, endpoint_url
  ), turned_on AS (
    DELETE FROM webhook_endpoints AS endpoint USING target
     WHERE endpoint.url = target.endpoint_url
    RETURNING endpoint.url
  ), disabled_pending AS (
    UPDATE webhook_deliveries AS delivery
       SET status = 'pending', next_attempt_at = now()
      FROM turned_on
     WHERE delivery.endpoint_url = turned_on.url AND delivery.status = 'disabled' AND delivery.delivery_id <> $1
    RETURNING delivery.delivery_id
  )
  SELECT delivery_id, pg_notify('${WEBHOOK_DELIVERY_CHANNEL}', '') FROM target`;
