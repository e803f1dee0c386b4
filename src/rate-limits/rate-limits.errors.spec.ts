import { RateLimitedError } from './rate-limits.errors';

describe('RateLimitedError', () => {
  it.each([
    [60_000, 60],
    [59_001, 60],
    [1500, 2],
    [1000, 1],
    [1, 1],
    // The window may end between the store's answer and this line; a retry is still 1 s away at least.
    [0, 1],
    [-1, 1],
  ])('turns msBeforeNext=%d into Retry-After %d s (rounded up, at least 1)', (msBeforeNext, seconds) => {
    const error = new RateLimitedError(30, msBeforeNext);

    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(seconds);
    expect(error.detail).toContain('30');
  });
});
