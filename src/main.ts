// First: the tracer provider exists before anything that traces is loaded (npm start also --imports it).
import { tracing } from './telemetry';
import 'reflect-metadata';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { WorkerConfig } from './build-worker/worker.config';
import { loadAppConfig } from './app-config';
import { InvalidConfigError } from './config/config-from-env';
import { EMBEDDED_DATA_DIR, EmbeddedPostgres, startEmbeddedPostgres } from './database/embedded-postgres';
import { EmbeddedPostgresUnavailableError } from './database/embedded-postgres-home';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from './http/configure-app';
import { useStructuredLogs } from './logging/logging.module';
import { closeHttpListener, REQUEST_GRACE_MS } from './shutdown/close-http-listener';
import { GracefulShutdown, shutdownDeadlineMs } from './shutdown/graceful-shutdown';
import { ShutdownState } from './shutdown/shutdown-state';

const logger = new Logger('Main');
/** Started only when DATABASE_URL is unset; stopped on every way out. */
let embedded: EmbeddedPostgres | undefined;

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const roles = WorkerConfig.fromArgument(process.argv[2]);
  if (config.database.url === undefined) {
    embedded = await startEmbeddedPostgres(EMBEDDED_DATA_DIR, (line) => logger.log(line));
  }
  const databaseUrl = config.database.url ?? embedded!.url;

  const module = AppModule.forRoot(config, databaseUrl, roles);
  let app: INestApplicationContext;
  let closeHttp: (() => Promise<void>) | undefined;
  if (roles.servesHttp) {
    const http = await NestFactory.create<NestFastifyApplication>(module, createFastifyAdapter(config.signature), {
      ...APP_OPTIONS,
      bufferLogs: true,
    });
    configureApp(http);
    await http.listen({ port: config.http.port, host: config.http.host });
    logger.log(`listening on ${await http.getUrl()} (Swagger UI at /docs)`);
    app = http;
    closeHttp = () =>
      closeHttpListener(http.getHttpAdapter().getInstance(), REQUEST_GRACE_MS, (message) => logger.warn(message));
  } else {
    app = await NestFactory.createApplicationContext(module, { bufferLogs: true });
    useStructuredLogs(app);
  }
  if (roles.runsWorker) logger.log('build worker consuming the build queue');

  new GracefulShutdown({
    state: app.get(ShutdownState),
    drainMs: config.shutdown.drainMs,
    deadlineMs: shutdownDeadlineMs(config.shutdown.drainMs, config.buildQueue.shutdownGraceMs),
    closeHttp,
    closeApp: () => app.close(),
    closeRest: async () => {
      await tracing.shutdown();
      await embedded?.stop();
    },
    exit: (code) => process.exit(code),
    logger,
  }).listen(['SIGTERM', 'SIGINT']);
}

async function exitWithError(what: string, error: unknown): Promise<never> {
  const message =
    error instanceof InvalidConfigError || error instanceof EmbeddedPostgresUnavailableError
      ? error.message
      : `${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`${message}\n`);
  await embedded?.stop().catch(() => undefined);
  process.exit(1);
}

main().catch((error: unknown) => exitWithError('failed to start', error));
