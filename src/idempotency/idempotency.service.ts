import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { IdempotencyConfig } from './idempotency.config';
import { requestFingerprint } from './request-fingerprint';

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
 * Owns `idempotency_keys` and `recent_creates`. Looking a request up there and recording its answer
 * are steps of the create and update database functions (`idempotency_keys_find`, ...; migration
 * BuildRequestFunctions), run under the owner's advisory lock, so a look-up and the record that
 * follows it cannot interleave with another request of the same owner. This names requests and
 * sweeps what expired.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly config: IdempotencyConfig) {}

  /** An identical create without a key inside this window gets the first answer; 0: the window is off. */
  get dedupeWindowMs(): number {
    return this.config.dedupeWindowMs;
  }

  /** What makes two requests of one owner the same request: the key if sent, and the fingerprint. */
  identify(
    operation: { method: string; path: string },
    request: { userId: string },
    key: string | undefined,
  ): RequestIdentity {
    return {
      ownerId: request.userId,
      key,
      fingerprint: requestFingerprint(operation.method, operation.path, request),
    };
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

/** Identical requests in flight in this process share one transaction under this key (SingleFlight). */
export function inFlightKey({ ownerId, key, fingerprint }: RequestIdentity): string {
  return `${ownerId}\n${key ?? ''}\n${fingerprint}`;
}
