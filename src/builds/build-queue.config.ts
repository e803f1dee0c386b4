import { IsInt, Max, Min } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

export class BuildQueueConfig {
  /** A build running longer fails with reason `timeout`. */
  @IsInt()
  @Min(1000)
  readonly timeoutMs: number = 600_000;

  @IsInt()
  @Min(1)
  @Max(20)
  readonly maxAttempts: number = 3;

  /** Wait before the second attempt; doubles for each further one. */
  @IsInt()
  @Min(0)
  readonly retryDelayMs: number = 2000;

  static fromEnv(env: Environment): BuildQueueConfig {
    return configFromEnv(BuildQueueConfig, env, {
      timeoutMs: 'BUILD_TIMEOUT_MS',
      maxAttempts: 'BUILD_MAX_ATTEMPTS',
      retryDelayMs: 'BUILD_RETRY_DELAY_MS',
    });
  }
}
