// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { configError } from '../../test/support/config-errors';
import { RateLimitsConfig } from './rate-limits.config';

describe('RateLimitsConfig', () => {
  it('allows 30 per minute when RATE_LIMIT_PER_MINUTE is unset or blank', () => {
    expect(RateLimitsConfig.fromEnv({}).perMinute).toBe(30);
    expect(RateLimitsConfig.fromEnv({ RATE_LIMIT_PER_MINUTE: ' ' }).perMinute).toBe(30);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['600', 600],
    ['2147483647', 2_147_483_647],
  ])('reads RATE_LIMIT_PER_MINUTE=%s', (value, perMinute) => {
    expect(RateLimitsConfig.fromEnv({ RATE_LIMIT_PER_MINUTE: value }).perMinute).toBe(perMinute);
  });

  it.each(['-1', '1.5', 'abc', '1e3', '0x10', '2147483648'])(
    'refuses RATE_LIMIT_PER_MINUTE=%s, naming the variable',
    (value) => {
      const error = configError((env) => RateLimitsConfig.fromEnv(env), { RATE_LIMIT_PER_MINUTE: value });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/^RATE_LIMIT_PER_MINUTE="/);
    },
  );
});
