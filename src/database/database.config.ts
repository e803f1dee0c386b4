import { IsOptional, Matches } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

export class DatabaseConfig {
  /** Unset: an embedded PostgreSQL is started (see embedded-postgres.ts). */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  readonly url?: string;

  static fromEnv(env: Environment): DatabaseConfig {
    return configFromEnv(DatabaseConfig, env, { url: 'DATABASE_URL' });
  }
}
