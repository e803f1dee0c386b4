import { DynamicModule, Global, INestApplicationContext, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { createAppLogger } from './app-logger';
import { LoggingConfig } from './logging.config';
import { APP_LOGGER, LOG_DESTINATION } from './logging.tokens';
import { PinoNestLogger } from './pino-nest-logger';

/** pino as the application's logger: Nest's `Logger` and the request lines all write through it. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: LoggingConfig): DynamicModule {
    const providers = [
      { provide: LOG_DESTINATION, useValue: process.stdout },
      {
        provide: APP_LOGGER,
        inject: [LOG_DESTINATION],
        useFactory: (destination: DestinationStream) => createAppLogger(config.level, destination),
      },
      PinoNestLogger,
    ];
    return { module: LoggingModule, providers, exports: [APP_LOGGER, PinoNestLogger] };
  }
}

/** Sends every `Logger` call of Nest and of our code to pino. */
export function useStructuredLogs(app: INestApplicationContext): void {
  app.useLogger(app.get(PinoNestLogger));
}
