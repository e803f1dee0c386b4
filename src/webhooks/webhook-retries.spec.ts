import {
  MAX_ATTEMPTS,
  RETRY_AFTER_CAP_MS,
  RETRY_DELAYS_SECONDS,
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
    ['0', 0],
    ['1', 1000],
    [' 120 ', 120_000],
    ['Mon, 07 Dec 2026 10:00:30 GMT', 30_000],
    ['Mon, 07 Dec 2026 09:00:00 GMT', 0],
    ['99999999', RETRY_AFTER_CAP_MS],
    ['Tue, 08 Dec 2026 10:00:00 GMT', RETRY_AFTER_CAP_MS],
  ])('reads %j as %i ms (a past date as none, a long wait capped)', (header, expected) => {
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
    expect(verdictOf(answer(200), 1, now)).toEqual({ outcome: 'delivered' });
    expect(verdictOf(answer(204), MAX_ATTEMPTS, now)).toEqual({ outcome: 'delivered' });
    expect(verdictOf(answer(410), 3, now)).toEqual({ outcome: 'disabled' });
  });

  it('retries anything else by the schedule, or after the Retry-After asked for, until the last attempt fails it', () => {
    expect(verdictOf(answer(500), 1, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
    expect(verdictOf(answer(null), 2, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 300_000 });
    expect(verdictOf(answer(302), 1, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
    expect(verdictOf(answer(503, '0'), 2, now)).toEqual({ outcome: 'retried', delayMs: 0 });
    expect(verdictOf(answer(429, 'nonsense'), 1, now, () => 0.5)).toEqual({ outcome: 'retried', delayMs: 5000 });
    expect(verdictOf(answer(503, '0'), MAX_ATTEMPTS, now)).toEqual({ outcome: 'failed' });
  });
});
