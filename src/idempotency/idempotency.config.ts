import { IsInt, Min } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

export class IdempotencyConfig {
  /** Without an Idempotency-Key, an identical create from the same user inside this window is the first one; 0 turns it off. */
  @IsInt()
  @Min(0)
  readonly dedupeWindowMs: number = 10_000;

  static fromEnv(env: Environment): IdempotencyConfig {
    return configFromEnv(IdempotencyConfig, env, { dedupeWindowMs: 'DEDUPE_WINDOW_MS' });
  }
}
