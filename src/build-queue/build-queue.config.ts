import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

/** Room above the build timeout before pg-boss takes a job back from a worker that went silent. */
export const EXPIRY_MARGIN_SECONDS = 30;
const MAX_TIMEOUT_MS = (24 * 3600 - EXPIRY_MARGIN_SECONDS) * 1000;

export class BuildQueueConfig {
  /** A build running longer fails with reason `timeout`. pg-boss caps a job's expiry at 24 h. */
  @IntegerIn(1000, MAX_TIMEOUT_MS)
  readonly timeoutMs: number = 600_000;

  @IntegerIn(1, 20)
  readonly maxAttempts: number = 3;

  /** Wait before the second attempt; doubles for each further one. pg-boss counts it in whole seconds. */
  @IntegerIn(0)
  readonly retryDelayMs: number = 2000;

  /**
   * A worker holding a build proves it is alive this often (pg-boss heartbeats, every half of it);
   * a build whose worker stays silent this long is taken back and retried. pg-boss's minimum is 10.
   */
  @IntegerIn(10, 3600)
  readonly heartbeatSeconds: number = 30;

  /** Builds one worker process runs at the same time. */
  @IntegerIn(1, 64)
  readonly concurrency: number = 2;

  /**
   * Builds of one user that may run at once, across every worker process: one user's backlog
   * cannot hold every worker while other users wait (ADR 038).
   */
  @IntegerIn(1, 64)
  readonly buildsPerUser: number = 1;

  /**
   * On SIGTERM, how long a worker lets its running builds finish; then they are handed back to the
   * queue, to be retried by another worker.
   */
  @IntegerIn(0, 3_600_000)
  readonly shutdownGraceMs: number = 20_000;

  static fromEnv(env: Environment): BuildQueueConfig {
    return configFromEnv(BuildQueueConfig, env, {
      timeoutMs: 'BUILD_TIMEOUT_MS',
      maxAttempts: 'BUILD_MAX_ATTEMPTS',
      retryDelayMs: 'BUILD_RETRY_DELAY_MS',
      heartbeatSeconds: 'BUILD_HEARTBEAT_SECONDS',
      concurrency: 'BUILD_CONCURRENCY',
      buildsPerUser: 'BUILDS_PER_USER',
      shutdownGraceMs: 'BUILD_SHUTDOWN_GRACE_MS',
    });
  }
}
