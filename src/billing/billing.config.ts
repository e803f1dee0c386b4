import { IsInt, Max, Min } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';

export class BillingConfig {
  /** AI-time balance a user gets the first time the service sees them. */
  @IsInt()
  @Min(0)
  @Max(MAX_BALANCE_SECONDS)
  readonly welcomeSeconds: number = 3600;

  static fromEnv(env: Environment): BillingConfig {
    return configFromEnv(BillingConfig, env, { welcomeSeconds: 'AI_TIME_WELCOME_SECONDS' });
  }
}
