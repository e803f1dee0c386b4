import { IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { configFromEnv, Environment } from './config-from-env';

export class HttpConfig {
  /** 0 asks the OS for a free port; the chosen one is logged. */
  @IsInt()
  @Min(0)
  @Max(65535)
  readonly port: number = 3000;

  @IsString()
  @IsNotEmpty()
  readonly host: string = '127.0.0.1';

  static fromEnv(env: Environment): HttpConfig {
    return configFromEnv(HttpConfig, env, { port: 'PORT', host: 'HOST' });
  }
}
