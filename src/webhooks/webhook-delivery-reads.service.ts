import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { DEFAULT_PAGE_SIZE } from '../api-fields/page-fields.decorator';
import { invalidCursorError } from '../api-fields/opaque-cursor';
import { entityFromRow } from '../database/entity-rows';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor';
import { WebhookDeliveryAttemptResponse } from './dto/webhook-delivery-attempt.response';
import { WebhookDeliveryListResponse } from './dto/webhook-delivery-list.response';
import { WebhookDeliveryResponse } from './dto/webhook-delivery.response';
import type { WebhookEventBody } from './dto/webhook-event.body';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryNotFoundError } from './webhook-delivery-not-found.error';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';

/**
 * Reads `webhook_deliveries` with their events and attempts (tables of this module) for
 * `GET /v1/webhooks/deliveries` and the redelivery's answer; never writes.
 */
@Injectable()
export class WebhookDeliveryReadsService {
  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @InjectRepository(WebhookEvent) private readonly events: Repository<WebhookEvent>,
    @InjectRepository(WebhookDeliveryAttempt) private readonly attempts: Repository<WebhookDeliveryAttempt>,
  ) {}

  /**
   * One page of every delivery, newest first, by keyset on the delivery's ULID (the primary key
   * serves it), so pages neither skip nor repeat rows while events are recorded.
   */
  async list(page: { limit?: number; cursor?: string } = {}): Promise<WebhookDeliveryListResponse> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const before = page.cursor === undefined ? undefined : decodeDeliveryCursor(page.cursor);
    if (page.cursor !== undefined && before === undefined) throw invalidCursorError();
    const rows = await this.select('$1::text IS NULL OR delivery.delivery_id < $1', [before ?? null], limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      ...(rows.length > limit && last !== undefined && { nextCursor: encodeDeliveryCursor(last.deliveryId) }),
    };
  }

  async get(deliveryId: string): Promise<WebhookDeliveryResponse> {
    const [delivery] = await this.select('delivery.delivery_id = $1', [deliveryId], 1);
    if (!delivery) throw new WebhookDeliveryNotFoundError(deliveryId);
    return delivery;
  }

  /** The deliveries `where` picks (its parameters from $1), newest first, with their events and attempts. */
  private async select(where: string, values: unknown[], limit: number): Promise<WebhookDeliveryResponse[]> {
    const rows = await this.deliveries.query<Record<string, unknown>[]>(
      `SELECT delivery.*, event.type, event.user_id, event.project_id, event.body, event.created_at
         FROM webhook_deliveries AS delivery JOIN webhook_events AS event USING (event_id)
        WHERE ${where}
        ORDER BY delivery.delivery_id DESC
        LIMIT $${values.length + 1}`,
      [...values, limit],
    );
    const found = rows.map((row) => ({
      delivery: entityFromRow(this.deliveries, row),
      event: entityFromRow(this.events, row),
    }));
    if (found.length === 0) return [];
    const attempts = await this.attempts.find({
      where: { deliveryId: In(found.map(({ delivery }) => delivery.deliveryId)) },
      order: { attempt: 'ASC' },
    });
    return found.map(({ delivery, event }) =>
      deliveryAnswer(
        delivery,
        event,
        attempts.filter((attempt) => attempt.deliveryId === delivery.deliveryId),
      ),
    );
  }
}

/** Columns that are NULL, and times that do not apply to the status, become absent fields. */
function deliveryAnswer(
  delivery: WebhookDelivery,
  event: WebhookEvent,
  attempts: WebhookDeliveryAttempt[],
): WebhookDeliveryResponse {
  return {
    deliveryId: delivery.deliveryId,
    eventId: delivery.eventId,
    type: event.type,
    userId: event.userId,
    ...(event.projectId !== null && { projectId: event.projectId }),
    endpointUrl: delivery.endpointUrl,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: event.createdAt.toISOString(),
    ...(delivery.status === 'pending' && { nextAttemptAt: delivery.nextAttemptAt.toISOString() }),
    ...(delivery.status === 'delivered' &&
      delivery.deliveredAt !== null && { deliveredAt: delivery.deliveredAt.toISOString() }),
    event: JSON.parse(event.body) as WebhookEventBody,
    attemptsMade: attempts.map(attemptAnswer),
  };
}

function attemptAnswer(attempt: WebhookDeliveryAttempt): WebhookDeliveryAttemptResponse {
  return {
    attempt: attempt.attempt,
    attemptedAt: attempt.attemptedAt.toISOString(),
    durationMs: attempt.durationMs,
    ...(attempt.statusCode !== null && { statusCode: attempt.statusCode }),
    ...(attempt.error !== null && { error: attempt.error }),
  };
}
