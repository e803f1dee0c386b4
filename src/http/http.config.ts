import { IsString, Matches } from 'class-validator';
import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

export class HttpConfig {
  /** 0 asks the OS for a free port; the chosen one is logged. */
  @IntegerIn(0, 65535)
  readonly port: number = 3000;

  /** An IP address or a host name; checked here so a typo names HOST instead of failing at listen. */
  @IsString()
  @Matches(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/,
    {
      message: 'must be an IP address or a host name',
    },
  )
  readonly host: string = '127.0.0.1';

  static fromEnv(env: Environment): HttpConfig {
    return configFromEnv(HttpConfig, env, { port: 'PORT', host: 'HOST' });
  }
}
