import type { AttemptVerdict } from './claimed-delivery';

/**
 * The waits after each failed attempt (Standard Webhooks' schedule): 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h, about 28 hours in all. The attempt after the last wait is the last one.
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** Attempts a delivery gets before it is `failed`. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** The longest wait a `Retry-After` may ask for: the schedule's longest step. */
export const RETRY_AFTER_CAP_MS = Math.max(...RETRY_DELAYS_SECONDS) * 1000;

/** Each wait is spread over ±25 % of itself, so endpoints that fail together are not retried together. */
const JITTER = 0.25;

/**
 * How long to wait after failed attempt number `attempt` (from 1), or undefined when it was the last.
 * `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= MAX_ATTEMPTS) return undefined;
  const base = RETRY_DELAYS_SECONDS[attempt - 1] * 1000;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** RFC 9110's IMF-fixdate, the one form of HTTP date a sender may generate. */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The wait a `Retry-After` header asks for (RFC 9110: delay-seconds or an HTTP date), capped at
 * RETRY_AFTER_CAP_MS; undefined when it is absent or unreadable. A date in the past asks for none.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  let waitMs: number;
  if (/^\d+$/.test(value)) waitMs = Number(value) * 1000;
  else if (HTTP_DATE.test(value)) waitMs = Date.parse(value) - nowMs;
  else return undefined;
  if (Number.isNaN(waitMs)) return undefined;
  return Math.min(Math.max(waitMs, 0), RETRY_AFTER_CAP_MS);
}

/**
 * What becomes of a delivery after attempt number `attempt`: a 2xx delivers it, a 410 turns its
 * endpoint off, anything else is retried after the schedule's wait (or the `Retry-After` asked
 * for), until the last attempt fails it.
 */
export function verdictOf(
  answer: { statusCode: number | null; retryAfter: string | null },
  attempt: number,
  nowMs: number,
  random: () => number = Math.random,
): AttemptVerdict {
  const { statusCode } = answer;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { outcome: 'delivered' };
  if (statusCode === 410) return { outcome: 'disabled' };
  const scheduled = retryDelayMs(attempt, random);
  if (scheduled === undefined) return { outcome: 'failed' };
  return { outcome: 'retried', delayMs: retryAfterMs(answer.retryAfter, nowMs) ?? scheduled };
}
