import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { withClient } from './pg-client';
import { databaseUrl, quoteIdentifier, TEST_SERVER_URL_VARIABLE, TEST_TEMPLATE_VARIABLE } from './test-environment';

/** A database of this test file's own, cloned from the migrated template. */
export interface TestDatabase {
  readonly url: string;
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = requiredEnv(TEST_SERVER_URL_VARIABLE);
  const template = requiredEnv(TEST_TEMPLATE_VARIABLE);
  const name = `${template}_file_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`),
  );
  const url = databaseUrl(serverUrl, name);
  const pool = new Pool({ connectionString: url, max: 4 });
  // An idle inspection connection is cut when its database is dropped with FORCE; without a
  // listener, pg would raise that as an unhandled error inside whichever test runs next.
  pool.on('error', () => undefined);
  return {
    url,
    query: async <T extends object>(sql: string, params?: unknown[]) => (await pool.query<T>(sql, params)).rows,
    drop: async () => {
      await pool.end();
      await withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through Jest (its global setup sets it)`);
  return value;
}
