import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { Observable, ReplaySubject } from 'rxjs';
import { DatabaseConnection } from '../database/database-connection';
import { ShutdownState } from '../shutdown/shutdown-state';

/** The channel the `project_build_metrics` trigger notifies, with the build id, when a status changes. */
export const BUILD_STATUS_CHANNEL = 'build_status';

/** The channel `build_log_append` notifies, with the build id, when a batch of log lines is stored. */
export const BUILD_LOG_CHANNEL = 'build_log';

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
  /** The same for the build's log: lines may have been stored (read those after the last one sent). */
  readonly logAppends: Observable<void>;
  /** Stops the notifications; calling it again does nothing. */
  close(): void;
}

/** One subscriber's two kinds of news about its build. */
interface Watcher {
  readonly status: ReplaySubject<void>;
  readonly log: ReplaySubject<void>;
}

/** The channels listened on, and which kind of news each one is. */
const WATCHED_CHANNELS = new Map<string, keyof Watcher>([
  [BUILD_STATUS_CHANNEL, 'status'],
  [BUILD_LOG_CHANNEL, 'log'],
]);

/**
 * Owns this process's one LISTEN connection, on `build_status` and `build_log`, opened for the
 * first subscriber (an event stream, or a worker's running build, which listens for a cancel), and
 * hands each notification to the subscribers of that build. PostgreSQL keeps no notifications for a
 * connection that is down, so after a reconnect every subscriber is told its build's status and log
 * may have changed: it re-reads both, and nothing is lost.
 */
@Injectable()
export class BuildStatusListener implements OnModuleDestroy {
  private readonly logger = new Logger(BuildStatusListener.name);
  private readonly subscribers = new Map<string, Set<Watcher>>();
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
    for (const watchers of this.subscribers.values()) count += watchers.size;
    return count;
  }

  /**
   * Resolves once LISTEN is active, so every change committed after that reaches `changes` or
   * `logAppends`; rejects (with nothing registered) if the connection cannot be opened.
   */
  async subscribe(buildId: string): Promise<BuildStatusSubscription> {
    await this.listening();
    const watcher: Watcher = { status: new ReplaySubject<void>(1), log: new ReplaySubject<void>(1) };
    const ofBuild = this.subscribers.get(buildId) ?? new Set();
    this.subscribers.set(buildId, ofBuild.add(watcher));
    return {
      changes: watcher.status.asObservable(),
      logAppends: watcher.log.asObservable(),
      close: () => {
        if (!ofBuild.delete(watcher)) return;
        if (ofBuild.size === 0) this.subscribers.delete(buildId);
        complete(watcher);
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
    for (const watcher of this.allSubscribers()) complete(watcher);
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
      const kind = WATCHED_CHANNELS.get(channel);
      if (kind && payload) this.subscribers.get(payload)?.forEach((watcher) => watcher[kind].next());
    });
    try {
      await client.connect();
      await client.query([...WATCHED_CHANNELS.keys()].map((channel) => `LISTEN ${channel};`).join(' '));
    } catch (error) {
      void client.end().catch(() => undefined);
      this.logger.warn(`LISTEN failed: ${(error as Error).message}`);
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
    for (const watcher of this.allSubscribers()) {
      watcher.status.next();
      watcher.log.next();
    }
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

  private *allSubscribers(): Iterable<Watcher> {
    for (const watchers of this.subscribers.values()) yield* watchers;
  }
}

function complete(watcher: Watcher): void {
  watcher.status.complete();
  watcher.log.complete();
}
