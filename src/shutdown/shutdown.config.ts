import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class ShutdownConfig {
  /**
   * On SIGTERM, how long requests are still served while readiness already answers 503, so a load
   * balancer stops routing here before the listener closes. 0: close at once (nothing routes by
   * readiness, as in development).
   */
  @IntegerIn(0, 300_000)
  readonly drainMs: number = 0;

  static fromEnv(env: Environment): ShutdownConfig {
    return configFromEnv(ShutdownConfig, env, { drainMs: 'SHUTDOWN_DRAIN_MS' });
  }
}
