/**
 * Our advisory locks use the two-key form `pg_advisory_xact_lock(namespace, key)`, with namespaces
 * of our own, so they never clash with pg-boss's single-key locks or another application's.
 */
export interface AdvisoryLock {
  readonly namespace: number;
  readonly key: number;
}

const NAMESPACE = {
  migrations: 0x5e11_0001,
  user: 0x5e11_0002,
  janitor: 0x5e11_0003,
  queueFunctions: 0x5e11_0004,
  userClaims: 0x5e11_0005,
  webhookEndpoints: 0x5e11_0006,
} as const;

export const MIGRATIONS_LOCK: AdvisoryLock = { namespace: NAMESPACE.migrations, key: 0 };

/** Serialises the processes that (re)define the build queue's insert and claim guard as they start. */
export const QUEUE_FUNCTIONS_LOCK: AdvisoryLock = { namespace: NAMESPACE.queueFunctions, key: 0 };

/**
 * The namespace of the locks that serialise claims of one user's build jobs (keyed in SQL by
 * `hashtext(userId)`, see src/build-queue/user-build-limit.ts): apart from the user's lock, which a
 * claim must not wait for.
 */
export const USER_CLAIMS_LOCK_NAMESPACE = NAMESPACE.userClaims;

/** Serialises the redeliveries that turn webhook endpoints back on (src/webhooks/webhook-redelivery.service.ts). */
export const WEBHOOK_ENDPOINTS_LOCK: AdvisoryLock = { namespace: NAMESPACE.webhookEndpoints, key: 0 };

/** Held by the one process whose janitor runs a round; the others skip theirs (src/integrity). */
export const JANITOR_LOCK: AdvisoryLock = { namespace: NAMESPACE.janitor, key: 0 };

/**
 * Serialises one user's writes. The key is the UUID's first 32 bits: random for v4 ids, and a rare
 * collision between two users only makes them wait for each other, never share data.
 */
export function userLock(userId: string): AdvisoryLock {
  const prefix = userId.slice(0, 8);
  if (!/^[0-9a-f]{8}$/i.test(prefix)) throw new TypeError(`not a UUID: ${userId}`);
  return { namespace: NAMESPACE.user, key: Number.parseInt(prefix, 16) | 0 };
}
