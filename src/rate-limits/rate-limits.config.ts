import { IsInt, Min } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

export class RateLimitsConfig {
  /** Creates plus updates one user may start per minute; 0 turns the limit off. */
  @IsInt()
  @Min(0)
  readonly perMinute: number = 30;

  static fromEnv(env: Environment): RateLimitsConfig {
    return configFromEnv(RateLimitsConfig, env, { perMinute: 'RATE_LIMIT_PER_MINUTE' });
  }
}
