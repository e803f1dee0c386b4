import { billableSeconds, canceledBuildSeconds } from './ai-time-policy';

describe('billableSeconds', () => {
  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_999.5, 60],
    [600_000, 600],
  ])('charges %d ms as %d s (rounded up, at least 1)', (elapsedMs, seconds) => {
    expect(billableSeconds(elapsedMs)).toBe(seconds);
  });

  it('charges a negative duration (a clock step) as the minimum, never a credit', () => {
    expect(billableSeconds(-5000)).toBe(1);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('refuses %d, which is a bug in the caller', (elapsedMs) => {
    expect(() => billableSeconds(elapsedMs)).toThrow(RangeError);
  });
});

describe('canceledBuildSeconds', () => {
  it('charges nothing for a build canceled before any attempt started', () => {
    expect(canceledBuildSeconds(0, 0)).toBe(0);
  });

  it.each([
    [0, 1],
    [250, 1],
    [4001, 5],
  ])('charges a build that ran %d ms as billableSeconds: %d s', (ranMs, seconds) => {
    expect(canceledBuildSeconds(ranMs, 1)).toBe(seconds);
  });
});
