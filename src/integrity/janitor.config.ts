import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class JanitorConfig {
  /** How often a worker process's janitor runs a round; 0 turns the janitor off. */
  @IntegerIn(0, 24 * 3600 * 1000)
  readonly intervalMs: number = 60_000;

  static fromEnv(env: Environment): JanitorConfig {
    return configFromEnv(JanitorConfig, env, { intervalMs: 'JANITOR_INTERVAL_MS' });
  }
}
