import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class RateLimitsConfig {
  /** Creates plus updates one user may start per minute; 0 turns the limit off. An `integer` in SQL. */
  @IntegerIn(0, 2_147_483_647)
  readonly perMinute: number = 30;

  static fromEnv(env: Environment): RateLimitsConfig {
    return configFromEnv(RateLimitsConfig, env, { perMinute: 'RATE_LIMIT_PER_MINUTE' });
  }
}
