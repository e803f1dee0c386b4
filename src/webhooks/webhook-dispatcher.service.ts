import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WorkerConfig } from '../build-worker/worker.config';
import { DatabaseConnection } from '../database/database-connection';
import { WebhookMetricsService } from '../metrics/webhook-metrics.service';
import { ClaimedDelivery } from './claimed-delivery';
import { WebhookDeliveryClaimsService } from './webhook-delivery-claims.service';
import { verdictOf } from './webhook-retries';
import { sendWebhook } from './webhook-sender';
import { WebhookWakeups } from './webhook-wakeups';
import { WebhooksConfig } from './webhooks.config';

/**
 * Requests one process has open at once. The cap is the process's, not an endpoint's: an endpoint
 * that takes the whole timeout to answer, with the heads of many projects due, can fill every slot
 * for up to WEBHOOK_TIMEOUT_MS, and the other endpoints' deliveries wait that long (ADR 040).
 */
const MAX_IN_FLIGHT = 16;

/**
 * Sends the outbox's deliveries, in processes that play the worker role, at least once (ADR 040):
 * claims the due ones (WebhookDeliveryClaimsService.claim), sends each (sendWebhook) and records its
 * answer and verdict. A NOTIFY from a recorded event, or a send that ended, wakes it; a poll is
 * the fallback. It only writes the webhook tables: a delivery never touches a build, project or
 * balance. On shutdown the requests still open are aborted and their deliveries retried at once, by
 * any process.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private wakeups?: WebhookWakeups;
  private loop?: Promise<void>;
  private woken = false;
  private wakeUp?: () => void;

  constructor(
    private readonly config: WebhooksConfig,
    private readonly roles: WorkerConfig,
    private readonly connection: DatabaseConnection,
    private readonly deliveries: WebhookDeliveryClaimsService,
    private readonly metrics: WebhookMetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.runsWorker || this.config.urls.length === 0) return;
    this.wakeups = new WebhookWakeups(this.connection.url, () => this.wake());
    await this.wakeups.start();
    this.loop = this.run();
    this.logger.log(`webhook dispatcher sending to ${this.config.urls.length} endpoint(s)`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await this.wakeups?.stop();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      this.woken = false;
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room > 0) for (const delivery of await this.claim(room)) this.track(this.deliver(delivery));
      await this.sleep();
    }
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    try {
      return await this.deliveries.claim(this.config.urls, limit, this.config.leaseMs);
    } catch (error) {
      this.logger.warn(`claiming webhook deliveries failed: ${(error as Error).message}`);
      return [];
    }
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      // The project's next event may be due now, and there is room for another request.
      this.wake();
    });
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const { secrets, timeoutMs } = this.config;
    const sent = await sendWebhook(delivery, secrets, timeoutMs, this.stopping.signal);
    const stopped = this.stopping.signal.aborted && sent.statusCode === null;
    const verdict = stopped
      ? ({ outcome: 'retried', delayMs: 0 } as const)
      : verdictOf(sent, delivery.attempt, delivery.recordedAt.getTime(), Date.now());
    if (verdict.outcome !== 'delivered') {
      const answer = stopped ? 'aborted: this process is shutting down' : (sent.statusCode ?? sent.error);
      this.logger.warn(
        `webhook delivery ${delivery.deliveryId} (event ${delivery.eventId}) to ${shownUrl(delivery.endpointUrl)}, attempt ${delivery.attempt}: ${answer}; ${verdict.outcome}`,
      );
    }
    try {
      const settled = await this.deliveries.record(delivery, sent, verdict);
      this.metrics.counted(verdict.outcome, settled);
    } catch (error) {
      // The claim's lease lapses and the delivery is sent again: at least once.
      this.logger.warn(`recording webhook delivery ${delivery.deliveryId} failed: ${(error as Error).message}`);
    }
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private sleep(): Promise<void> {
    if (this.woken || this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.config.pollIntervalMs);
      this.wakeUp = done;
    });
  }
}

/** The endpoint as logs show it: without credentials or a query, which may carry tokens. */
function shownUrl(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname}`;
}
