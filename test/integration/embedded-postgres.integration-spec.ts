import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { withClient } from '../support/pg-client';

it('the embedded PostgreSQL leaves SIGTERM and SIGINT to the graceful shutdown, and is stopped by it', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sheen-embedded-'));
  const listeners = () => ({ SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') });
  const before = listeners();
  const server = await startEmbeddedPostgres(dataDir, () => undefined);
  try {
    // embedded-postgres would stop the server on these signals itself, before requests and builds end.
    expect(listeners()).toEqual(before);
    const [row] = (await withClient(server.url, (client) => client.query<{ one: number }>('SELECT 1 AS one'))).rows;
    expect(row.one).toBe(1);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 60_000);
