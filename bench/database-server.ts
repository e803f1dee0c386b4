import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { parentPid, processTreeCpuSeconds } from './process-cpu';

/** The PostgreSQL server the benchmark runs on, and the databases it made there. */
export interface DatabaseServer {
  /** What the report says the database was. */
  readonly description: string;
  /** Creates a new, empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * CPU seconds the whole server (every backend and background process) has used so far; undefined
   * when it does not run on this machine.
   */
  cpuSeconds(): number | undefined;
  /** Drops the databases it created and stops the server it started. */
  close(): Promise<void>;
}

/**
 * DATABASE_URL's server when it is set (databases `sheen_bench_<pid>_<name>` are made there and
 * dropped at the end), otherwise an embedded PostgreSQL started in a temporary folder for this run,
 * as the service starts its own when DATABASE_URL is unset.
 */
export async function openDatabaseServer(): Promise<DatabaseServer> {
  const given = process.env.DATABASE_URL;
  if (given) return Databases.open(given, 'DATABASE_URL', () => Promise.resolve());
  const dataDir = await mkdtemp(join(tmpdir(), 'sheen-bench-postgres-'));
  const embedded = await startEmbeddedPostgres(dataDir, (line) => process.stderr.write(`${line}\n`));
  return Databases.open(embedded.url, 'embedded PostgreSQL (embedded-postgres 17)', async () => {
    await embedded.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.password`, { force: true });
  });
}

class Databases implements DatabaseServer {
  private readonly created: string[] = [];

  private constructor(
    private readonly serverUrl: string,
    readonly description: string,
    private readonly stopServer: () => Promise<void>,
    private readonly postmasterPid: number | undefined,
  ) {}

  static async open(serverUrl: string, description: string, stopServer: () => Promise<void>): Promise<Databases> {
    return new Databases(serverUrl, description, stopServer, await localPostmasterPid(serverUrl));
  }

  cpuSeconds(): number | undefined {
    return this.postmasterPid === undefined ? undefined : processTreeCpuSeconds(this.postmasterPid);
  }

  async createDatabase(name: string): Promise<string> {
    const database = `sheen_bench_${process.pid}_${name}`;
    await this.admin((client) => client.query(`CREATE DATABASE ${database}`));
    this.created.push(database);
    const url = new URL(this.serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  async close(): Promise<void> {
    for (const database of this.created) {
      await this.admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(
        (error: Error) => process.stderr.write(`could not drop ${database}: ${error.message}\n`),
      );
    }
    await this.stopServer();
  }

  private async admin(work: (client: Client) => Promise<unknown>): Promise<void> {
    const client = new Client({ connectionString: this.serverUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }
}

/** The server's postmaster, the parent of a backend, when the server runs on this machine. */
async function localPostmasterPid(serverUrl: string): Promise<number | undefined> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    // The pid is the server's: on another machine it may name some process of this one.
    const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return title.startsWith('postgres') ? parentPid(pid) : undefined;
  } finally {
    await client.end();
  }
}
