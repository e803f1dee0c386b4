import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { WorkerConfig } from './builds/worker.config';
import { loadAppConfig } from './config/app-config';
import { InvalidConfigError } from './config/config-from-env';
import { EmbeddedPostgres, startEmbeddedPostgres } from './database/embedded-postgres';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from './http/configure-app';

const EMBEDDED_DATA_DIR = '.data/postgres';

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
  let app: { close(): Promise<void> };
  if (roles.servesHttp) {
    const http = await NestFactory.create<NestFastifyApplication>(module, createFastifyAdapter(), APP_OPTIONS);
    configureApp(http);
    await http.listen({ port: config.http.port, host: config.http.host });
    logger.log(`listening on ${await http.getUrl()} (Swagger UI at /docs)`);
    app = http;
  } else {
    app = await NestFactory.createApplicationContext(module);
  }
  if (roles.runsWorker) logger.log('build worker consuming the build queue');

  const shutdown = async (signal: string): Promise<void> => {
    logger.log(`${signal} received, shutting down`);
    try {
      await app.close();
      await embedded?.stop();
      process.exit(0);
    } catch (error) {
      await exitWithError('shutdown failed', error);
    }
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

async function exitWithError(what: string, error: unknown): Promise<never> {
  const message =
    error instanceof InvalidConfigError
      ? error.message
      : `${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`${message}\n`);
  await embedded?.stop().catch(() => undefined);
  process.exit(1);
}

main().catch((error: unknown) => exitWithError('failed to start', error));
