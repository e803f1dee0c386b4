import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class IdempotencyConfig {
  /** Without an Idempotency-Key, an identical create from the same user inside this window is the first one; 0 turns it off. */
  @IntegerIn(0, 24 * 3600 * 1000)
  readonly dedupeWindowMs: number = 10_000;

  static fromEnv(env: Environment): IdempotencyConfig {
    return configFromEnv(IdempotencyConfig, env, { dedupeWindowMs: 'DEDUPE_WINDOW_MS' });
  }
}
