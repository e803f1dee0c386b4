import { setTimeout as delay } from 'node:timers/promises';
import { REQUEST_GRACE_MS } from './close-http-listener';
import type { ShutdownState } from './shutdown-state';

/** Room for what follows the builds' grace: closing the pools and the embedded PostgreSQL. */
const CLOSING_MARGIN_MS = 15_000;

/** How long a shutdown may take before the process gives up on it and exits 1. */
export function shutdownDeadlineMs(drainMs: number, buildGraceMs: number): number {
  return drainMs + REQUEST_GRACE_MS + buildGraceMs + CLOSING_MARGIN_MS;
}

export interface ShutdownSteps {
  state: ShutdownState;
  /** Requests still served, readiness 503, before the listener closes (HTTP processes only). */
  drainMs: number;
  deadlineMs: number;
  /** Stops accepting connections and waits for the requests in flight; absent without HTTP. */
  closeHttp?: () => Promise<void>;
  /** Closes the Nest app: the worker lets running builds finish or hands them back, the pools close. */
  closeApp: () => Promise<void>;
  /** What the app used from outside Nest, closed last: the embedded PostgreSQL, if any. */
  closeRest: () => Promise<void>;
  exit: (code: 0 | 1) => void;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
}

/**
 * The order a process stops in on SIGTERM or SIGINT (ADR 018): readiness 503 at once, the drain,
 * the listener closed once its requests are answered, then the worker and the pools, then the
 * embedded PostgreSQL; exit 0. A repeated signal changes nothing; a shutdown that hangs past its
 * deadline exits 1.
 */
export class GracefulShutdown {
  private started = false;

  constructor(private readonly steps: ShutdownSteps) {}

  /** Shuts down on the first of `signals`; the process no longer dies of them by default. */
  listen(signals: readonly NodeJS.Signals[]): void {
    for (const signal of signals) process.on(signal, () => void this.shutDown(signal));
  }

  async shutDown(reason: string): Promise<void> {
    const { state, drainMs, deadlineMs, closeHttp, closeApp, closeRest, exit, logger } = this.steps;
    if (this.started) {
      logger.warn(`${reason} received while shutting down: ignored`);
      return;
    }
    this.started = true;
    logger.log(`${reason} received, shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown still not done after ${deadlineMs} ms: exiting`);
      exit(1);
    }, deadlineMs);
    try {
      state.begin();
      if (closeHttp) {
        if (drainMs > 0) {
          logger.log(`draining for ${drainMs} ms: readiness answers 503, requests are still served`);
          await delay(drainMs);
        }
        await closeHttp();
      }
      await closeApp();
      await closeRest();
      logger.log('shut down');
      exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      await closeRest().catch(() => undefined);
      exit(1);
    } finally {
      clearTimeout(deadline);
    }
  }
}
