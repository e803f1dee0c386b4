import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { WEBHOOK_DELIVERY_CHANNEL } from './webhook-event';

/** How the LISTEN connection shows in `pg_stat_activity`. */
export const WEBHOOK_LISTENER_NAME = 'sheen-webhook-dispatcher';

const RECONNECT_DELAY_MS = 1000;

/**
 * A LISTEN connection on WEBHOOK_DELIVERY_CHANNEL that calls `wake` for each notification, so an
 * event is sent moments after its transaction commits. It only speeds things up: while it is down
 * (it reconnects on its own) the dispatcher's poll finds the same deliveries.
 */
export class WebhookWakeups {
  private readonly logger = new Logger(WebhookWakeups.name);
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly wake: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: WEBHOOK_LISTENER_NAME,
      keepAlive: true,
    });
    client.on('error', (error) => this.logger.warn(`LISTEN connection: ${error.message}`));
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_DELIVERY_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      this.logger.warn(`LISTEN failed: ${(error as Error).message}`);
      this.retryLater();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    client.once('end', () => {
      this.client = undefined;
      this.retryLater();
    });
    // What committed while it was not listening was not announced to it.
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.start(), RECONNECT_DELAY_MS);
    this.retryTimer.unref();
  }
}
