import {
  MAX_ATTEMPTS,
  RETRY_AFTER_CAP_MS,
  RETRY_AFTER_FLOOR_MS,
  RETRY_DELAYS_SECONDS,
  RETRY_SPAN_MS,
  retryAfterMs,
  retryDelayMs,
  verdictOf,
} from './webhook-retries';

describe('retryDelayMs', () => {
  it.each(RETRY_DELAYS_SECONDS.map((seconds, index) => [index + 1, seconds]))(
    'after attempt %i waits %i s give or take a quarter, its jitter spanning the whole band',
    (attempt, seconds) => {
      expect(retryDelayMs(attempt, () => 0)).toBe(seconds * 750);
      expect(retryDelayMs(attempt, () => 0.5)).toBe(seconds * 1000);
      expect(retryDelayMs(attempt, () => 0.999999)).toBeGreaterThan(seconds * 1249);
      for (let draw = 0; draw < 200; draw++) {
        const delay = retryDelayMs(attempt)!;
        expect(delay).toBeGreaterThanOrEqual(seconds * 750);
        expect(delay).toBeLessThanOrEqual(seconds * 1250);
      }
    },
  );

  it('spans about a day in all, and gives up after the last attempt', () => {
    const total = RETRY_DELAYS_SECONDS.reduce((sum, seconds) => sum + seconds, 0);
    expect(total / 3600).toBeGreaterThan(24);
    expect(total / 3600).toBeLessThan(30);
    expect(MAX_ATTEMPTS).toBe(8);
    expect(retryDelayMs(MAX_ATTEMPTS)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');

  it.each([
    ['0', RETRY_AFTER_FLOOR_MS],
    ['1', 1000],
    [' 120 ', 120_000],
    ['Mon, 07 Dec 2026 10:00:30 GMT', 30_000],
    ['Mon, 07 Dec 2026 09:00:00 GMT', RETRY_AFTER_FLOOR_MS],
    ['99999999', RETRY_AFTER_CAP_MS],
    ['Tue, 08 Dec 2026 10:00:00 GMT', RETRY_AFTER_CAP_MS],
  ])('reads %j as %i ms (no wait or a past date as the floor, a long wait capped)', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });

  it.each([null, '', '-5', '1.5', 'soon', '10s', '2026-12-07', 'Mon, 07 Dec 2026 99:00:00 GMT'])(
    'ignores %j',
    (header) => {
      expect(retryAfterMs(header, now)).toBeUndefined();
    },
  );
});

describe('verdictOf', () => {
  const now = Date.now();
  const answer = (statusCode: number | null, retryAfter: string | null = null) => ({ statusCode, retryAfter });

  it('delivers on any 2xx and turns the endpoint off on 410', () => {
    expect(verdictOf(answer(200), 1, now, now)).toEqual({ outcome: 'delivered' });
    expect(verdictOf(answer(204), MAX_ATTEMPTS, now - RETRY_SPAN_MS, now)).toEqual({ outcome: 'delivered' });
    expect(verdictOf(answer(410), 3, now, now)).toEqual({ outcome: 'disabled' });
  });

  it('retries anything else by the schedule, or after the Retry-After asked for', () => {
    expect(verdictOf(answer(500), 1, now, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
    expect(verdictOf(answer(null), 2, now, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 300_000 });
    expect(verdictOf(answer(302), 1, now, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
    expect(verdictOf(answer(503, '0'), 2, now, now)).toEqual({ outcome: 'retried', delayMs: RETRY_AFTER_FLOOR_MS });
    expect(verdictOf(answer(503, '60'), 6, now, now)).toEqual({ outcome: 'retried', delayMs: 60_000 });
    expect(verdictOf(answer(429, 'nonsense'), 1, now, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
  });

  it('fails a delivery only once its attempts are spent and the schedule has spanned its day', () => {
    expect(verdictOf(answer(500), MAX_ATTEMPTS, now - RETRY_SPAN_MS, now)).toEqual({ outcome: 'failed' });
    expect(verdictOf(answer(503, '1'), MAX_ATTEMPTS + 1, now - RETRY_SPAN_MS - 1, now)).toEqual({ outcome: 'failed' });
  });

  it('gives a receiver that asked for short waits one last attempt when the day is over, not a failure in seconds', () => {
    const recordedAt = now - 30_000;
    expect(verdictOf(answer(503, '1'), MAX_ATTEMPTS, recordedAt, now)).toEqual({
      outcome: 'retried',
      delayMs: RETRY_SPAN_MS - 30_000,
    });
  });
});
