import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Traced } from '../telemetry/traced.decorator';
import { IdempotencyConfig } from './idempotency.config';
import { IdempotencyKeyReusedError } from './idempotency.errors';
import type { StoredResponse } from './stored-response';

/** How long an Idempotency-Key is remembered. */
export const KEY_LIFETIME_HOURS = 24;

export interface RequestIdentity {
  ownerId: string;
  /** The caller's Idempotency-Key, if it sent one. */
  key?: string;
  /** requestFingerprint() of the request. */
  fingerprint: string;
}

/**
 * Owns `idempotency_keys` and `recent_creates`. Callers hold the owner's advisory lock, so a look-up
 * and the record that follows it cannot interleave with another request of the same owner.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly config: IdempotencyConfig) {}

  get dedupeEnabled(): boolean {
    return this.config.dedupeWindowMs > 0;
  }

  /**
   * The response to replay for this key, if the key was used before; a key used for another
   * request is refused. Expired keys count as unused.
   */
  async findReplay<Body extends object>(
    manager: EntityManager,
    { ownerId, key, fingerprint }: RequestIdentity,
  ): Promise<StoredResponse<Body> | undefined> {
    if (key === undefined) return undefined;
    const [stored] = await manager.query<{ request_hash: string; status: number; body: Body }[]>(
      `SELECT request_hash, status, body FROM idempotency_keys
        WHERE owner_id = $1 AND key = $2 AND created_at > now() - make_interval(hours => $3)`,
      [ownerId, key, KEY_LIFETIME_HOURS],
    );
    if (!stored) return undefined;
    if (stored.request_hash !== fingerprint) throw new IdempotencyKeyReusedError();
    return { status: stored.status, body: stored.body };
  }

  /** The body of an identical create by the same owner inside the dedupe window, if any. */
  async findRecentCreate<Body extends object>(
    manager: EntityManager,
    { ownerId, fingerprint }: RequestIdentity,
  ): Promise<Body | undefined> {
    if (!this.dedupeEnabled) return undefined;
    const [recent] = await manager.query<{ body: Body }[]>(
      `SELECT body FROM recent_creates
        WHERE owner_id = $1 AND request_hash = $2 AND created_at > now() - make_interval(secs => $3::float8 / 1000)`,
      [ownerId, fingerprint, this.config.dedupeWindowMs],
    );
    return recent?.body;
  }

  /** Remembers the response under the caller's Idempotency-Key; nothing without a key. */
  @Traced('db.insert idempotency_keys')
  async recordKey(
    manager: EntityManager,
    { ownerId, key, fingerprint }: RequestIdentity,
    response: StoredResponse,
  ): Promise<void> {
    if (key === undefined) return;
    // An expired row for the key may still be there until the sweep: the new request takes it over.
    await manager.query(
      `INSERT INTO idempotency_keys (owner_id, key, request_hash, status, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (owner_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, body = EXCLUDED.body, created_at = now()`,
      [ownerId, key, fingerprint, response.status, response.body],
    );
  }

  /** Remembers a create's body under its fingerprint for the dedupe window; nothing when the window is off. */
  @Traced('db.insert recent_creates')
  async recordRecentCreate(
    manager: EntityManager,
    { ownerId, fingerprint }: RequestIdentity,
    body: object,
  ): Promise<void> {
    if (!this.dedupeEnabled) return;
    await manager.query(
      `INSERT INTO recent_creates (owner_id, request_hash, body) VALUES ($1, $2, $3)
       ON CONFLICT (owner_id, request_hash) DO UPDATE SET body = EXCLUDED.body, created_at = now()`,
      [ownerId, fingerprint, body],
    );
  }

  /** Deletes expired keys and fingerprints older than the dedupe window; returns how many went. */
  async sweep(manager: EntityManager): Promise<number> {
    const [{ count }] = await manager.query<{ count: number }[]>(
      `WITH keys AS (
         DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(hours => $1) RETURNING 1
       ), recent AS (
         DELETE FROM recent_creates WHERE created_at <= now() - make_interval(secs => $2::float8 / 1000) RETURNING 1
       )
       SELECT (SELECT count(*) FROM keys)::int + (SELECT count(*) FROM recent)::int AS count`,
      [KEY_LIFETIME_HOURS, this.config.dedupeWindowMs],
    );
    return count;
  }
}
