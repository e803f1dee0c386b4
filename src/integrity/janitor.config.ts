import { IsInt, Max, Min } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

export class JanitorConfig {
  /** How often a worker process's janitor runs a round; 0 turns the janitor off. */
  @IsInt()
  @Min(0)
  @Max(24 * 3600 * 1000)
  readonly intervalMs: number = 60_000;

  static fromEnv(env: Environment): JanitorConfig {
    return configFromEnv(JanitorConfig, env, { intervalMs: 'JANITOR_INTERVAL_MS' });
  }
}
