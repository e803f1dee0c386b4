import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { Observable, ReplaySubject } from 'rxjs';
import { DatabaseConnection } from '../database/database-connection';
import { ShutdownState } from '../shutdown/shutdown-state';

/** The channel the `project_build_metrics` trigger notifies, with the build id, when a status changes. */
export const BUILD_STATUS_CHANNEL = 'build_status';

/** How the LISTEN connection shows in `pg_stat_activity`. */
export const BUILD_STATUS_LISTENER_NAME = 'sheen-build-status-events';

const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5000;
const SHUT_DOWN = 'build status events are closed: the process is shutting down';

export interface BuildStatusSubscription {
  /**
   * Emits when the build's status may have changed (re-read it to know); the latest one waits for
   * a late subscriber. Completes when this process shuts down.
   */
  readonly changes: Observable<void>;
  /** Stops the notifications; calling it again does nothing. */
  close(): void;
}

/**
 * Owns this process's one LISTEN connection on `build_status`, opened for the first subscriber (an
 * event stream, or a worker's running build, which listens for a cancel), and hands each
 * notification to the subscribers of that build. PostgreSQL keeps no notifications for a connection that is down, so after a reconnect
 * every subscriber is told its build may have changed: it re-reads, and no change is lost.
 */
@Injectable()
export class BuildStatusListener implements OnModuleDestroy {
  private readonly logger = new Logger(BuildStatusListener.name);
  private readonly subscribers = new Map<string, Set<ReplaySubject<void>>>();
  /** Set while LISTEN is active on it. */
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = FIRST_RETRY_DELAY_MS;
  private destroyed = false;

  constructor(
    private readonly connection: DatabaseConnection,
    shutdown: ShutdownState,
  ) {
    shutdown.signal.addEventListener('abort', () => this.endStreams(), { once: true });
  }

  /** Open subscriptions in this process. */
  get subscriberCount(): number {
    let count = 0;
    for (const changes of this.subscribers.values()) count += changes.size;
    return count;
  }

  /**
   * Resolves once LISTEN is active, so every change committed after that reaches `changes`; rejects
   * (with nothing registered) if the connection cannot be opened.
   */
  async subscribe(buildId: string): Promise<BuildStatusSubscription> {
    await this.listening();
    const changes = new ReplaySubject<void>(1);
    const ofBuild = this.subscribers.get(buildId) ?? new Set();
    this.subscribers.set(buildId, ofBuild.add(changes));
    return {
      changes: changes.asObservable(),
      close: () => {
        if (!ofBuild.delete(changes)) return;
        if (ofBuild.size === 0) this.subscribers.delete(buildId);
        changes.complete();
      },
    };
  }

  async onModuleDestroy(): Promise<void> {
    this.endStreams();
    await this.connecting?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Ends every open stream and refuses new ones. Runs as soon as shutdown begins, so the HTTP
   * listener can close without waiting for them; clients reconnect to another instance.
   */
  private endStreams(): void {
    this.destroyed = true;
    clearTimeout(this.retryTimer);
    for (const changes of this.allSubscribers()) changes.complete();
    this.subscribers.clear();
  }

  private listening(): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error(SHUT_DOWN));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = new Client({
      connectionString: this.connection.url,
      application_name: BUILD_STATUS_LISTENER_NAME,
      // Notices a peer that vanished without closing the connection (a network cut).
      keepAlive: true,
    });
    // Without a listener, an error on this connection would be thrown and end the process.
    client.on('error', (error) => this.logger.warn(`LISTEN connection: ${error.message}`));
    client.on('notification', ({ channel, payload }) => {
      if (channel === BUILD_STATUS_CHANNEL && payload) this.subscribers.get(payload)?.forEach((s) => s.next());
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${BUILD_STATUS_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      this.logger.warn(`LISTEN ${BUILD_STATUS_CHANNEL} failed: ${(error as Error).message}`);
      this.retryLater();
      throw error;
    }
    if (this.destroyed) {
      await client.end().catch(() => undefined);
      throw new Error(SHUT_DOWN);
    }
    client.once('end', () => this.dropped(client));
    this.client = client;
    this.retryDelayMs = FIRST_RETRY_DELAY_MS;
    // Whatever changed while the connection was down was not announced on this one.
    for (const changes of this.allSubscribers()) changes.next();
  }

  private dropped(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (!this.destroyed) this.logger.warn(`LISTEN connection lost; reconnecting`);
    this.retryLater();
  }

  /** Only while someone listens: the next subscriber opens the connection itself otherwise. */
  private retryLater(): void {
    if (this.destroyed || this.retryTimer || this.subscribers.size === 0) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // A failure is logged and schedules the next try in connect().
      this.listening().catch(() => undefined);
    }, delay);
  }

  private *allSubscribers(): Iterable<ReplaySubject<void>> {
    for (const changes of this.subscribers.values()) yield* changes;
  }
}
