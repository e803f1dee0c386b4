import { ArrayNotEmpty, IsUrl, Matches, ValidateIf } from 'class-validator';
import { MAX_BALANCE_SECONDS } from '../billing/ai-time-policy';
import { CommaSeparated, configFromEnv, Environment, IntegerIn, InvalidConfigError } from '../config/config-from-env';

/**
 * Standard Webhooks' `whsec_` and canonical base64 of at least 12 bytes: padded to a multiple of 4,
 * since Node decodes base64 without its padding but a receiver's `atob` may throw on it.
 */
const WEBHOOK_SECRET_FORM =
  /^whsec_(?=[A-Za-z0-9+/]{16})(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Outbound webhooks (ADR 040): where events go, how they are signed, and how the dispatcher paces itself. */
export class WebhooksConfig {
  /**
   * Every endpoint that receives each event; none turns webhooks off (no event is recorded). No
   * `user:password@`: fetch refuses such a URL, and its error, kept in every attempt, would carry them.
   */
  @IsUrl(
    { require_protocol: true, require_tld: false, protocols: ['http', 'https'], disallow_auth: true },
    { each: true, message: 'each comma-separated value must be an absolute http(s) URL without credentials' },
  )
  @CommaSeparated({ unique: true })
  readonly urls: string[] = [];

  /** Standard Webhooks secrets; every request is signed with each, so a rotation verifies with old and new. */
  @ValidateIf((config: WebhooksConfig) => config.urls.length > 0 || config.secrets.length > 0)
  @ArrayNotEmpty({ message: 'must be set when WEBHOOK_URL is' })
  @Matches(WEBHOOK_SECRET_FORM, {
    each: true,
    message: 'each comma-separated secret must be whsec_ followed by padded base64 (at least 12 bytes)',
  })
  @CommaSeparated()
  readonly secrets: string[] = [];

  /**
   * `ai_time.low` fires when a debit takes a balance from at least this to below it. 600 s is one
   * build at the default BUILD_TIMEOUT_MS: below it the next build may run out, so the user is told
   * while a grant still comes in time; it is a sixth of the welcome balance.
   */
  @IntegerIn(1, MAX_BALANCE_SECONDS)
  readonly lowBalanceSeconds: number = 600;

  /** The fallback poll for due deliveries; a NOTIFY wakes the dispatcher sooner. */
  @IntegerIn(100, 60_000)
  readonly pollIntervalMs: number = 1000;

  /** How long one request may take before it counts as failed. */
  @IntegerIn(1000, 60_000)
  readonly timeoutMs: number = 15_000;

  /** How long a claimed delivery is held: a process that died with it lets it be retried after this. */
  @IntegerIn(2000, 3_600_000)
  readonly leaseMs: number = 60_000;

  static fromEnv(env: Environment): WebhooksConfig {
    const config = configFromEnv(
      WebhooksConfig,
      env,
      {
        urls: 'WEBHOOK_URL',
        secrets: 'WEBHOOK_SECRET',
        lowBalanceSeconds: 'AI_TIME_LOW_SECONDS',
        pollIntervalMs: 'WEBHOOK_POLL_INTERVAL_MS',
        timeoutMs: 'WEBHOOK_TIMEOUT_MS',
        leaseMs: 'WEBHOOK_LEASE_MS',
      },
      { hidden: ['secrets'] },
    );
    if (config.leaseMs <= config.timeoutMs) {
      // A lease that lapses while its request may still be answered would send the event twice at once.
      throw new InvalidConfigError([
        `WEBHOOK_LEASE_MS=${JSON.stringify(String(config.leaseMs))}: must be longer than WEBHOOK_TIMEOUT_MS (${config.timeoutMs})`,
      ]);
    }
    return config;
  }
}
