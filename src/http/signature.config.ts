import { ArrayNotEmpty, IsOptional, IsString, MinLength, ValidateIf } from 'class-validator';
import { CommaSeparated, configFromEnv, Environment } from '../config/config-from-env';

/**
 * Below this a secret can be guessed offline from one signed request, so a warning is logged; it is
 * not refused, since docs/contract.md sets no minimum and an existing deployment must keep starting.
 */
export const RECOMMENDED_SECRET_LENGTH = 16;

export class SignatureConfig {
  /**
   * Every secret that verifies a request: more than one while a secret is being rotated. Empty:
   * requests are not authenticated (refused at start when NODE_ENV is production).
   */
  @ValidateIf((config: SignatureConfig) => config.secrets.length > 0 || config.nodeEnv === 'production')
  @ArrayNotEmpty({ message: 'must be set when NODE_ENV=production' })
  @MinLength(1, { each: true, message: 'no comma-separated secret may be empty' })
  @CommaSeparated()
  readonly secrets: string[] = [];

  @IsOptional()
  @IsString()
  readonly nodeEnv?: string;

  static fromEnv(env: Environment): SignatureConfig {
    return configFromEnv(
      SignatureConfig,
      env,
      { secrets: 'WORKER_SHARED_SECRET', nodeEnv: 'NODE_ENV' },
      { hidden: ['secrets'] },
    );
  }
}
