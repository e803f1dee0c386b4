import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class JanitorConfig {
  /** How often a worker process's janitor runs a round; 0 turns the janitor off. */
  @IntegerIn(0, 24 * 3600 * 1000)
  readonly intervalMs: number = 60_000;

  /** Retention (ADR 039): each project keeps the files of its newest this many versions, and of its current one. */
  @IntegerIn(1, 100_000)
  readonly versionsKept: number = 20;

  /** Retention (ADR 039): days a failed or canceled build's logs are kept after it finished. */
  @IntegerIn(1, 3650)
  readonly failedBuildsKeptDays: number = 30;

  /** Days an outbound webhook event is kept once all its deliveries are settled (ADR 040). */
  @IntegerIn(1, 3650)
  readonly webhookEventsKeptDays: number = 30;

  static fromEnv(env: Environment): JanitorConfig {
    return configFromEnv(JanitorConfig, env, {
      intervalMs: 'JANITOR_INTERVAL_MS',
      versionsKept: 'VERSIONS_KEPT',
      failedBuildsKeptDays: 'FAILED_BUILDS_KEPT_DAYS',
      webhookEventsKeptDays: 'WEBHOOK_EVENTS_KEPT_DAYS',
    });
  }
}
