import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { WebhookBacklogService } from '../webhooks/webhook-backlog.service';
import { counter } from './metrics-registry';
import { typeormPool } from './typeorm-pool';

/** What an attempt made of its delivery, as the deliveries counter is labelled. */
export type WebhookDeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'disabled';

/**
 * Outbound webhooks (ADR 040): deliveries by outcome, counted by the process that made the attempt,
 * and the age of the oldest delivery still pending, read from the webhooks' backlog when scraped, the
 * same in every process.
 */
@Injectable()
export class WebhookMetricsService {
  private readonly deliveries: Counter<'outcome'>;

  constructor(registry: Registry, dataSource: DataSource, backlog: WebhookBacklogService) {
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
        if (!pool || (pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10))) return;
        const since = await backlog.oldestPendingSince().catch(() => undefined);
        if (since === undefined) return;
        oldest.set(since ? Math.max(0, (Date.now() - since.getTime()) / 1000) : 0);
      },
    });
  }

  counted(outcome: WebhookDeliveryOutcome, deliveries: number): void {
    this.deliveries.inc({ outcome }, deliveries);
  }
}
