import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app-config';
import { InvalidConfigError } from './config/config-from-env';
import { EmbeddedPostgres, startEmbeddedPostgres } from './database/embedded-postgres';
import { configureApp, createFastifyAdapter } from './http/configure-app';

const EMBEDDED_DATA_DIR = '.data/postgres';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const config = loadAppConfig(process.env);
  let embedded: EmbeddedPostgres | undefined;
  if (config.database.url === undefined) {
    embedded = await startEmbeddedPostgres(EMBEDDED_DATA_DIR, (line) => logger.log(line));
  }
  const databaseUrl = config.database.url ?? embedded!.url;

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    createFastifyAdapter(),
  );
  configureApp(app);
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.log(`listening on ${await app.getUrl()} (Swagger UI at /docs)`);

  const shutdown = async (signal: string): Promise<void> => {
    logger.log(`${signal} received, shutting down`);
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  if (error instanceof InvalidConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
