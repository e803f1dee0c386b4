import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningEmbeddedPostgresUrl } from '../database/embedded-postgres';
import { openAuditDatabase } from './audit-database';

/** The first lines of a postmaster.pid: pid, data directory, start time, port, socket directory. */
const pidFile = (pid: number, port: number, dataDir: string) => `${pid}\n${dataDir}\n1764028800\n${port}\n/tmp\n`;

describe('finding the database to audit', () => {
  let sandbox: string;
  let dataDir: string;

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'sheen-audit-database-'));
    // Open to others, so the data directory stays where it is for root too (ADR 034).
    await chmod(sandbox, 0o755);
    dataDir = join(sandbox, 'postgres');
    await mkdir(dataDir);
  });
  afterEach(() => rm(sandbox, { recursive: true, force: true }));

  it('connects to the embedded server that is running, on the port its postmaster.pid names', async () => {
    await writeFile(join(dataDir, 'postmaster.pid'), pidFile(process.pid, 54321, dataDir));
    await writeFile(`${dataDir}.password`, 'p@ss/word\n');

    expect(await runningEmbeddedPostgresUrl(dataDir)).toBe(
      'postgres://postgres:p%40ss%2Fword@127.0.0.1:54321/postgres',
    );
  });

  it('finds none without a postmaster.pid, or when the process it names is gone', async () => {
    expect(await runningEmbeddedPostgresUrl(dataDir)).toBeUndefined();

    await writeFile(join(dataDir, 'postmaster.pid'), pidFile(999_999_999, 54321, dataDir));

    expect(await runningEmbeddedPostgresUrl(dataDir)).toBeUndefined();
  });

  it('uses DATABASE_URL when it is set, whatever the data directory holds', async () => {
    const url = 'postgres://audit@db.internal:5432/sheen';

    expect((await openAuditDatabase({ url }, () => undefined, dataDir)).url).toBe(url);
  });

  it('refuses to start a server on a data directory that holds no database', async () => {
    await expect(openAuditDatabase({}, () => undefined, dataDir)).rejects.toThrow(
      `DATABASE_URL is unset and ${dataDir} holds no database`,
    );
  });
});
