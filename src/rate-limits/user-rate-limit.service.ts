import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DatabaseConnection } from '../database/database-connection';
import { keepConnectionErrorsHeard, POOL } from '../database/data-source-options';
import { toDatabaseDomainError } from '../database/database.errors';
import { RateLimitsConfig } from './rate-limits.config';
import { RateLimitedError } from './rate-limits.errors';

/** The table of migrations/1764288000000-RateLimits.ts; this service is its only reader and writer. */
export const RATE_LIMITS_TABLE = 'rate_limits';
/** Namespaces the keys, so another limit can share the table later (`<prefix>:<userId>`). */
export const USER_WRITES_KEY_PREFIX = 'user-writes';
const WINDOW_SECONDS = 60;
/** Expired rows go every few minutes; the grace keeps the sweep well clear of any clock skew. */
const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_GRACE_MS = 10 * 60_000;

/**
 * Owns the `rate_limits` table: how many creates plus updates each user has started in their current
 * one-minute window, counted by rate-limiter-flexible in PostgreSQL so every API process shares it.
 * A store failure is raised, never taken as "allowed": the database is the same one the request
 * would write to next, so it would fail there anyway.
 */
@Injectable()
export class UserRateLimitService implements OnModuleDestroy {
  private readonly logger = new Logger(UserRateLimitService.name);
  /** Absent when the limit is off (RATE_LIMIT_PER_MINUTE=0): then nothing touches the database. */
  private readonly store?: { pool: Pool; limiter: RateLimiterPostgres; sweep: NodeJS.Timeout };

  constructor(
    connection: DatabaseConnection,
    private readonly config: RateLimitsConfig,
  ) {
    if (config.perMinute === 0) return;
    // Its own small pool, so a limit check never waits behind the transactions' connections.
    const pool = new Pool({
      connectionString: connection.url,
      max: 2,
      connectionTimeoutMillis: POOL.connectionTimeoutMillis,
      statement_timeout: 2000,
      application_name: 'sheen-rate-limits',
      onConnect: keepConnectionErrorsHeard,
    });
    // An idle connection the server drops is replaced on next use; unheard, it would crash the process.
    pool.on('error', (error) => this.logger.warn(`idle rate-limit connection lost: ${error.message}`));
    const limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: RATE_LIMITS_TABLE,
      // The migration made the table: no DDL at run time.
      tableCreated: true,
      // The library's own sweep timer cannot be stopped; ours below is cleared on shutdown.
      clearExpiredByTimeout: false,
      keyPrefix: USER_WRITES_KEY_PREFIX,
      points: config.perMinute,
      duration: WINDOW_SECONDS,
    });
    const sweep = setInterval(() => void this.sweepExpired(), SWEEP_EVERY_MS).unref();
    this.store = { pool, limiter, sweep };
  }

  /**
   * Counts one create or update for the user; throws RateLimitedError once they have started more
   * than RATE_LIMIT_PER_MINUTE in the current window (refused attempts count too, so hammering
   * does not help), and the database's domain error when the store cannot be reached.
   */
  async consume(userId: string): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.limiter.consume(userId.toLowerCase());
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new RateLimitedError(this.config.perMinute, error.msBeforeNext);
      throw toDatabaseDomainError(error) ?? error;
    }
  }

  /** Deletes windows that ended more than the grace ago (they count as empty anyway). */
  async sweepExpired(now: number = Date.now()): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.pool.query(`DELETE FROM ${RATE_LIMITS_TABLE} WHERE expire < $1`, [now - SWEEP_GRACE_MS]);
    } catch (error) {
      this.logger.warn(`rate-limit sweep failed: ${(error as Error).message}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.store) return;
    clearInterval(this.store.sweep);
    await this.store.pool.end();
  }
}
