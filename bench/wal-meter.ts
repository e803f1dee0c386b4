import { Client } from 'pg';

/** Write-ahead log one create's transaction wrote: what the server had to flush before answering. */
export interface WalPerCreate {
  records: number;
  /** The records' own bytes. */
  recordBytes: number;
  /**
   * Bytes of full-page images: a page's first change after a checkpoint logs the whole page, so
   * these depend on when the last checkpoint was, not only on the create.
   */
  fullPageBytes: number;
}

/**
 * Reads the WAL a database server wrote, with PostgreSQL's own pg_walinspect (contrib, in the
 * embedded build and in Debian's): on a server whose disk is the bottleneck, the bytes a create
 * logs decide how many creates a second it commits (docs/benchmarks.md, "The database's disk").
 * Needs a superuser (or pg_read_server_files) to read the log.
 */
export class WalMeter {
  private constructor(private readonly client: Client) {}

  static async open(databaseUrl: string): Promise<WalMeter> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    } catch (error) {
      await client.end();
      throw error;
    }
    return new WalMeter(client);
  }

  /** The end of the log on disk: every commit acknowledged so far is before it. */
  async position(): Promise<string> {
    const { rows } = await this.client.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn() AS lsn');
    return rows[0].lsn;
  }

  /**
   * The mean over the transactions between two positions that inserted a row into `projects` (every
   * create's does, and nothing else's): pg-boss's upkeep, autovacuum after a load and checkpoints
   * write when they write, and are left out whatever they wrote.
   */
  async perCreate(start: string, end: string): Promise<WalPerCreate> {
    const { rows } = await this.client.query<{ creates: string; records: string; record_bytes: string; fpi: string }>(
      `WITH records AS (
         SELECT * FROM pg_get_wal_records_info($1, $2) WHERE xid <> '0'
       ), projects AS (
         SELECT format('rel %s/%s/%s ', d.dattablespace, d.oid, pg_relation_filenode('projects')) AS block
           FROM pg_database d WHERE d.datname = current_database()
       ), creates AS (
         SELECT DISTINCT r.xid FROM records r, projects p
          WHERE r.resource_manager = 'Heap' AND r.record_type LIKE 'INSERT%' AND r.block_ref LIKE '%' || p.block || '%'
       )
       SELECT (SELECT count(*) FROM creates) AS creates, count(*) AS records,
              coalesce(sum(record_length - fpi_length), 0) AS record_bytes, coalesce(sum(fpi_length), 0) AS fpi
         FROM records WHERE xid IN (SELECT xid FROM creates)`,
      [start, end],
    );
    const [written] = rows;
    const creates = Number(written.creates);
    if (creates === 0) throw new Error(`no create's transaction between ${start} and ${end}`);
    return {
      records: Number(written.records) / creates,
      recordBytes: Math.round(Number(written.record_bytes) / creates),
      fullPageBytes: Math.round(Number(written.fpi) / creates),
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
