import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import { postgresOptions } from '../../src/database/data-source-options';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrationsLocked } from '../../src/database/migrate';
import { databaseName, databaseUrl, TEST_SERVER_URL_VARIABLE, TEST_TEMPLATE_VARIABLE } from './test-environment';
import { withClient } from './pg-client';

declare global {
  var sheenTestPostgres: { server: EmbeddedPostgres; dataDir: string } | undefined;
}

/**
 * Prepares one migrated template database for the run: the database TEST_DATABASE_URL names, or a
 * new one on an embedded server started for this run. Each test file clones its own from it.
 */
export default async function globalSetup(): Promise<void> {
  let templateUrl = process.env.TEST_DATABASE_URL;
  if (!templateUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'sheen-test-postgres-'));
    const embedded = await startEmbeddedPostgres(dataDir, () => undefined);
    globalThis.sheenTestPostgres = { server: embedded, dataDir };
    templateUrl = databaseUrl(embedded.url, 'sheen_test_template');
    await withClient(embedded.url, (client) => client.query('CREATE DATABASE sheen_test_template'));
  }
  await migrate(templateUrl);
  await installQueueSchema(templateUrl);
  // CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template.
  await withClient(databaseUrl(templateUrl, 'postgres'), (client) =>
    client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName(templateUrl)],
    ),
  );
  process.env[TEST_SERVER_URL_VARIABLE] = databaseUrl(templateUrl, 'postgres');
  process.env[TEST_TEMPLATE_VARIABLE] = databaseName(templateUrl);
}

async function migrate(url: string): Promise<void> {
  const dataSource = new DataSource(postgresOptions(url));
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** pg-boss installs its schema on first start; doing it once here spares every test file that. */
async function installQueueSchema(url: string): Promise<void> {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, max: 1 });
  await boss.start();
  await boss.stop({ graceful: false });
}
