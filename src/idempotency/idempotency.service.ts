import { Injectable } from '@nestjs/common';
import { EntityManager, Raw } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyConfig } from './idempotency.config';
import { IdempotencyKeyReusedError } from './idempotency.errors';
import { created, replayed, RequestOutcome } from './request-outcome';
import { requestFingerprint } from './request-fingerprint';
import { RecentCreate } from './recent-create.entity';

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
 * follows it cannot interleave with another request of the same owner. This names requests, runs
 * the same two steps for a request that is not a build (a grant) in its caller's transaction, and
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

  /**
   * Answers a request under its Idempotency-Key: the stored answer if the key was used for this
   * request (a replay), `422` if it was used for another, otherwise `act`'s answer, then recorded
   * under the key. The caller's transaction holds the owner's lock, so the look-up, the act and the
   * record are one step for every request of that owner.
   */
  async answerOnce<Body>(
    manager: EntityManager,
    identity: RequestIdentity,
    status: number,
    act: () => Promise<Body>,
  ): Promise<RequestOutcome<Body>> {
    const { ownerId, key, fingerprint } = identity;
    if (key !== undefined) {
      const [{ stored }] = await manager.query<{ stored: StoredAnswer<Body> | null }[]>(
        'SELECT idempotency_keys_find($1, $2, $3, $4) AS stored',
        [ownerId, key, fingerprint, KEY_LIFETIME_HOURS],
      );
      if (stored?.answer === 'refused') throw new IdempotencyKeyReusedError();
      if (stored) return replayed(stored.status, stored.body);
    }
    const body = await act();
    if (key !== undefined) {
      await manager.query('SELECT idempotency_keys_record($1, $2, $3, $4, $5)', [
        ownerId,
        key,
        fingerprint,
        status,
        JSON.stringify(body),
      ]);
    }
    return created(body, status);
  }

  /**
   * Deletes expired keys and fingerprints older than the dedupe window, on the database's clock (the
   * one that dated them); returns how many went.
   */
  async sweep(manager: EntityManager): Promise<number> {
    const keys = await manager.getRepository(IdempotencyKey).delete({
      createdAt: Raw((column) => `${column} <= now() - make_interval(hours => :hours)`, { hours: KEY_LIFETIME_HOURS }),
    });
    const recent = await manager.getRepository(RecentCreate).delete({
      createdAt: Raw((column) => `${column} <= now() - make_interval(secs => :seconds)`, {
        seconds: this.config.dedupeWindowMs / 1000,
      }),
    });
    return (keys.affected ?? 0) + (recent.affected ?? 0);
  }
}

/** What `idempotency_keys_find` answers for a key already used. */
type StoredAnswer<Body> = { answer: 'replay'; status: number; body: Body } | { answer: 'refused'; code: string };

/** Identical requests in flight in this process share one transaction under this key (SingleFlight). */
export function inFlightKey({ ownerId, key, fingerprint }: RequestIdentity): string {
  return `${ownerId}\n${key ?? ''}\n${fingerprint}`;
}
