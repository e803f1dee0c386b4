import { Transform } from 'class-transformer';
import { ArrayNotEmpty, IsOptional, IsString, MinLength, ValidateIf } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

/** Short secrets can be guessed offline from a single signed request. */
export const MIN_SECRET_LENGTH = 16;

export class SignatureConfig {
  /**
   * Every secret that verifies a request: more than one while a secret is being rotated. Empty:
   * requests are not authenticated (refused at start when NODE_ENV is production).
   */
  @ValidateIf((config: SignatureConfig) => config.secrets.length > 0 || config.nodeEnv === 'production')
  @ArrayNotEmpty({ message: 'must be set when NODE_ENV=production' })
  @MinLength(MIN_SECRET_LENGTH, {
    each: true,
    message: `each comma-separated secret must be at least ${MIN_SECRET_LENGTH} characters long`,
  })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((secret) => secret.trim()) : value,
  )
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
