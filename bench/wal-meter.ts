import { Client } from 'pg';

/** Write-ahead log between two positions: what the server had to write, and flush at each commit. */
export interface WalWritten {
  records: number;
  /** The records' own bytes. */
  recordBytes: number;
  /**
   * Bytes of full-page images: a page's first change after a checkpoint logs the whole page, so
   * these depend on when the last checkpoint was, not only on the work.
   */
  fullPageBytes: number;
}

/**
 * Reads the WAL a database server wrote, with PostgreSQL's own pg_walinspect (contrib, in the
 * embedded build and in Debian's): on a server whose disk is the bottleneck, the bytes a create
 * logs decide how many creates a second it commits (docs/benchmarks.md, "The database writes").
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
   * What transactions logged between two positions. Records of no transaction are left out: the
   * server's own upkeep (autovacuum, pruning, checkpoints) comes when it comes, and after a load it
   * would be charged to whatever is measured next.
   */
  async between(start: string, end: string): Promise<WalWritten> {
    // pg_get_wal_records_info fails when it finds no record in the range.
    if (lsnValue(end) <= lsnValue(start)) return { records: 0, recordBytes: 0, fullPageBytes: 0 };
    const { rows } = await this.client.query<{ records: string; record_bytes: string; full_page_bytes: string }>(
      `SELECT count(*) AS records, coalesce(sum(record_length - fpi_length), 0) AS record_bytes,
              coalesce(sum(fpi_length), 0) AS full_page_bytes
         FROM pg_get_wal_records_info($1, $2)
        WHERE xid <> '0'`,
      [start, end],
    );
    const [written] = rows;
    return {
      records: Number(written.records),
      recordBytes: Number(written.record_bytes),
      fullPageBytes: Number(written.full_page_bytes),
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** A log position (`X/Y`, two hexadecimal halves) as a number that orders like it. */
function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}
