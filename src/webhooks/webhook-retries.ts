import type { AttemptVerdict } from './claimed-delivery';

/**
 * The waits after each failed attempt (Standard Webhooks' schedule): 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h, about 28 hours in all. The attempt after the last wait is the last one.
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** Attempts a delivery gets by the schedule; short `Retry-After`s may spend them early (verdictOf). */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** What the schedule spans from the event to its last attempt, without jitter: about 28 hours. */
export const RETRY_SPAN_MS = RETRY_DELAYS_SECONDS.reduce((sum, seconds) => sum + seconds, 0) * 1000;

/** The longest wait a `Retry-After` may ask for: the schedule's longest step. */
export const RETRY_AFTER_CAP_MS = Math.max(...RETRY_DELAYS_SECONDS) * 1000;

/** The shortest: a receiver asking for `0` is not sent a request each time the dispatcher wakes. */
export const RETRY_AFTER_FLOOR_MS = 1000;

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
 * The wait a `Retry-After` header asks for (RFC 9110: delay-seconds or an HTTP date), kept between
 * RETRY_AFTER_FLOOR_MS and RETRY_AFTER_CAP_MS; undefined when it is absent or unreadable. A date in
 * the past asks for the floor.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  let waitMs: number;
  if (/^\d+$/.test(value)) waitMs = Number(value) * 1000;
  else if (HTTP_DATE.test(value)) waitMs = Date.parse(value) - nowMs;
  else return undefined;
  if (Number.isNaN(waitMs)) return undefined;
  return Math.min(Math.max(waitMs, RETRY_AFTER_FLOOR_MS), RETRY_AFTER_CAP_MS);
}

/**
 * What becomes of a delivery after attempt number `attempt` of an event recorded at `recordedAtMs`:
 * a 2xx delivers it, a 410 turns its endpoint off, anything else is retried after the `Retry-After`
 * asked for or else the schedule's wait. A receiver that asks for short waits spends the attempts
 * early, so the schedule's span still bounds how long an event is tried: once the attempts are
 * spent, one last attempt follows when RETRY_SPAN_MS has passed since the event, and fails it.
 */
export function verdictOf(
  answer: { statusCode: number | null; retryAfter: string | null },
  attempt: number,
  recordedAtMs: number,
  nowMs: number,
  random: () => number = Math.random,
): AttemptVerdict {
  const { statusCode } = answer;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { outcome: 'delivered' };
  if (statusCode === 410) return { outcome: 'disabled' };
  const scheduled = retryDelayMs(attempt, random);
  if (scheduled !== undefined)
    return { outcome: 'retried', delayMs: retryAfterMs(answer.retryAfter, nowMs) ?? scheduled };
  const spanLeftMs = recordedAtMs + RETRY_SPAN_MS - nowMs;
  return spanLeftMs > 0 ? { outcome: 'retried', delayMs: spanLeftMs } : { outcome: 'failed' };
}
