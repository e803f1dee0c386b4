import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeTime } from 'ulid';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhooksConfig } from './webhooks.config';

/**
 * How far delivery is behind, read from `webhook_deliveries` (a table of this module) for the
 * metrics; never writes.
 */
@Injectable()
export class WebhookBacklogService {
  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly config: WebhooksConfig,
  ) {}

  /**
   * When the oldest delivery still pending to a configured endpoint was recorded (its id is a ULID,
   * so that time is in its id), or null when none is. Deliveries to an endpoint no longer configured
   * wait for nothing but the operator, so they do not count.
   */
  async oldestPendingSince(): Promise<Date | null> {
    if (this.config.urls.length === 0) return null;
    const [{ delivery_id: deliveryId }] = await this.deliveries.query<{ delivery_id: string | null }[]>(
      `SELECT min(delivery_id) AS delivery_id FROM webhook_deliveries WHERE status = 'pending' AND endpoint_url = ANY($1)`,
      [this.config.urls],
    );
    return deliveryId === null ? null : new Date(decodeTime(deliveryId));
  }
}
