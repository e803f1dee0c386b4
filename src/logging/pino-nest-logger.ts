import { Inject, Injectable, LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LogLevel } from './logging.config';
import { APP_LOGGER } from './logging.tokens';

type PinoLevel = Exclude<LogLevel, 'silent'>;

/**
 * Nest's LoggerService on pino, so `new Logger('Context').log(...)` anywhere writes a JSON line.
 * Nest passes `(message, ...params, context)`; an object message becomes fields of the line, an
 * Error its `err`.
 */
@Injectable()
export class PinoNestLogger implements LoggerService {
  constructor(@Inject(APP_LOGGER) private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const rest = context === undefined ? params : params.slice(0, -1);
    const fields: Record<string, unknown> = { ...(context && { context }) };
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const text = rest.find((param): param is string => typeof param === 'string');
      this.logger[level]({ ...fields, ...message }, text);
    } else {
      // Nest's own `error(message, stack, context)`: the stack is the one string left.
      const stack = rest.find((param): param is string => typeof param === 'string');
      this.logger[level]({ ...fields, ...(stack && { stack }) }, String(message));
    }
  }
}
