import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DatabaseConfig } from '../database/database.config';
import { startEmbeddedPostgres } from '../database/embedded-postgres';

/** Where `npm start` keeps the embedded server's data when DATABASE_URL is unset (src/main.ts). */
export const EMBEDDED_DATA_DIR = '.data/postgres';

export interface AuditDatabase {
  readonly url: string;
  /** Stops the embedded server if the audit started it; leaves any other alone. */
  close(): Promise<void>;
}

/**
 * The database the service uses. DATABASE_URL when set. Otherwise the embedded server in
 * `.data/postgres`: the one `npm start` is running, if it is (a second postmaster on the same data
 * directory would refuse to start), else one started for the audit and stopped after it.
 */
export async function openAuditDatabase(
  config: DatabaseConfig,
  log: (line: string) => void,
  dataDir = EMBEDDED_DATA_DIR,
): Promise<AuditDatabase> {
  if (config.url) return { url: config.url, close: () => Promise.resolve() };
  const running = await runningEmbeddedPostgresUrl(dataDir);
  if (running) return { url: running, close: () => Promise.resolve() };
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(
      `DATABASE_URL is unset and ${dataDir} holds no database: set DATABASE_URL or start the service once`,
    );
  }
  const started = await startEmbeddedPostgres(dataDir, log);
  return { url: started.url, close: () => started.stop() };
}

/**
 * The URL of the embedded server running on `dataDir`, read from its `postmaster.pid` (whose fourth
 * line is the port) and the password file startEmbeddedPostgres keeps beside the data; undefined
 * when no server runs there.
 */
export async function runningEmbeddedPostgresUrl(dataDir: string): Promise<string | undefined> {
  const databaseDir = resolve(dataDir);
  const pidFile = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const [pid, , , port] = pidFile?.split('\n') ?? [];
  if (!pid || !port || !isRunning(Number(pid))) return undefined;
  const password = (await readFile(`${databaseDir}.password`, 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${Number(port)}/postgres`;
}

/** A postmaster.pid left by a server that crashed names a process that is gone. */
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user (the `postgres` user the server runs as under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
