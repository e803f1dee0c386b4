import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';

export class BillingConfig {
  /** AI-time balance a user gets the first time the service sees them. */
  @IntegerIn(0, MAX_BALANCE_SECONDS)
  readonly welcomeSeconds: number = 3600;

  /**
   * What a create or update holds back from the balance until its build ends (ADR 028). The
   * default, 1, is the least a build is charged, so "a build needs a positive balance" holds as
   * docs/contract.md says; the longest a build may bill (BUILD_TIMEOUT_MS times BUILD_MAX_ATTEMPTS)
   * rules out any overdraft.
   */
  @IntegerIn(1, MAX_BALANCE_SECONDS)
  readonly reserveSeconds: number = 1;

  static fromEnv(env: Environment): BillingConfig {
    return configFromEnv(BillingConfig, env, {
      welcomeSeconds: 'AI_TIME_WELCOME_SECONDS',
      reserveSeconds: 'AI_TIME_RESERVE_SECONDS',
    });
  }
}
