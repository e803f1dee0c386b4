import { IsIn } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class LoggingConfig {
  @IsIn(LOG_LEVELS, { message: `must be one of: ${LOG_LEVELS.join(', ')}` })
  readonly level: LogLevel = 'info';

  static fromEnv(env: Environment): LoggingConfig {
    return configFromEnv(LoggingConfig, env, { level: 'LOG_LEVEL' });
  }
}
