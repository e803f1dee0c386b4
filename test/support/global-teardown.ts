import { rm } from 'node:fs/promises';
import { withClient } from './pg-client';
import { quoteIdentifier, TEST_SERVER_URL_VARIABLE, TEST_TEMPLATE_VARIABLE } from './test-environment';

/**
 * Drops the test files' databases a crashed file may have left behind, then stops the embedded
 * server global setup started, if it started one, and deletes its data.
 */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env[TEST_SERVER_URL_VARIABLE];
  const template = process.env[TEST_TEMPLATE_VARIABLE];
  if (serverUrl && template) {
    await withClient(serverUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
        [`${template}_file_`],
      );
      for (const { datname } of rows) await client.query(`DROP DATABASE ${quoteIdentifier(datname)} WITH (FORCE)`);
    });
  }
  const embedded = globalThis.sheenTestPostgres;
  if (embedded) {
    await embedded.server.stop();
    await rm(embedded.dataDir, { recursive: true, force: true });
  }
}
