import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { decodeTime } from 'ulid';
import { counter } from './metrics-registry';
import { WebhooksConfig } from '../webhooks/webhooks.config';
import { typeormPool } from './typeorm-pool';

/** What an attempt made of its delivery, as the deliveries counter is labelled. */
export type WebhookDeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'disabled';

/**
 * Outbound webhooks (ADR 040): deliveries by outcome, counted by the process that made the attempt,
 * and the age of the oldest delivery still pending, read from the database when scraped (its id is a
 * ULID, so its age is in its id), the same in every process.
 */
@Injectable()
export class WebhookMetricsService {
  private readonly deliveries: Counter<'outcome'>;

  constructor(registry: Registry, dataSource: DataSource, config: WebhooksConfig) {
    this.deliveries = counter(
      registry,
      'sheen_webhook_deliveries_total',
      'Webhook delivery attempts by what they made of their delivery: delivered (2xx), retried, failed (retries spent) or disabled (its endpoint answered 410; every delivery pending to it counts).',
      ['outcome'],
    );
    const oldest: Gauge = new Gauge({
      name: 'sheen_webhook_oldest_undelivered_seconds',
      help: 'Age of the oldest webhook delivery still pending to a configured endpoint, in seconds; 0 when none is.',
      registers: [registry],
      collect: async () => {
        // A scrape never waits for a connection that requests need, nor fails every metric while the
        // database is away: it keeps the last value.
        const pool = typeormPool(dataSource);
        if (config.urls.length === 0) return;
        if (!pool || (pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10))) return;
        const rows = await dataSource
          .query<{ delivery_id: string | null }[]>(
            `SELECT min(delivery_id) AS delivery_id FROM webhook_deliveries WHERE status = 'pending' AND endpoint_url = ANY($1)`,
            [config.urls],
          )
          .catch(() => undefined);
        if (!rows) return;
        const deliveryId = rows[0].delivery_id;
        oldest.set(deliveryId ? Math.max(0, (Date.now() - decodeTime(deliveryId)) / 1000) : 0);
      },
    });
  }

  counted(outcome: WebhookDeliveryOutcome, deliveries: number): void {
    this.deliveries.inc({ outcome }, deliveries);
  }
}
