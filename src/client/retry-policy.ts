import { WorkerApiError } from './worker-api.error';

export interface RetryOptions {
  /** Tries in all, the first included (default 4); 1 turns retrying off. */
  attempts?: number;
  /** The first wait; each further one doubles, with jitter (default 250 ms). */
  minDelayMs?: number;
  /** No wait is longer, whatever `Retry-After` says (default 5000 ms). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 4, minDelayMs: 250, maxDelayMs: 5000 };

/**
 * The answers after which the very same request (same Idempotency-Key) may succeed, having written
 * nothing: any 503 (`database_unavailable`, `service_unavailable`, or a proxy's) and
 * `409 request_in_progress` (docs/contract.md; ADR 012: errors are not stored, so a retry runs again).
 */
export function isRetryable(error: WorkerApiError): boolean {
  return error.status === 503 || error.code === 'request_in_progress';
}

/**
 * How long to wait before try `attempt + 1`: exponential backoff with jitter (half to all of
 * `minDelayMs * 2^(attempt-1)`), at least the server's `Retry-After`, at most `maxDelayMs`.
 */
export function retryDelayMs(
  policy: Required<RetryOptions>,
  attempt: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const backoff = policy.minDelayMs * 2 ** (attempt - 1);
  const jittered = backoff / 2 + (random() * backoff) / 2;
  return Math.min(policy.maxDelayMs, Math.max(jittered, (retryAfterSeconds ?? 0) * 1000));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
