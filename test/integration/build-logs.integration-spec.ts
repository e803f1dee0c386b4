import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { BuildLogLine } from '../../src/build-logs/build-log-line.entity';
import { BuildLog } from '../../src/build-logs/build-log.entity';
import { LOG_LINE_OVERHEAD_BYTES, LOG_MARKER_ROOM_BYTES } from '../../src/build-logs/build-logs.config';
import { BuildLogBatch, BuildLogsService } from '../../src/build-logs/build-logs.service';
import { postgresOptions } from '../../src/database/data-source-options';
import { newUlid } from '../../src/ids/ids';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const MAX_BYTES = 64 * 1024;

/** A line of `bytes` UTF-8 bytes. */
const text = (bytes: number, fill = 'a') => fill.repeat(bytes);

/** What a batch of these texts costs against the bound. */
const cost = (texts: string[]) =>
  texts.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_LINE_OVERHEAD_BYTES, 0);

/** build_log_append (migration BuildLogs) through BuildLogsService, on the real schema. */
describe('BuildLogsService on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let logs: BuildLogsService;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(postgresOptions(db.url)).initialize();
    logs = new BuildLogsService(dataSource.getRepository(BuildLog), dataSource.getRepository(BuildLogLine));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** A queued build of a project of its own. */
  async function build(): Promise<{ buildId: string; projectId: string }> {
    const [projectId, userId, buildId] = [randomUUID(), randomUUID(), newUlid()];
    await db.query(
      `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, 'p', 'react', 'server')`,
      [projectId, userId],
    );
    await db.query(
      `INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, framework, prompt)
       VALUES ($1, $2, $3, $4, true, 'react', 'p')`,
      [buildId, newUlid(), projectId, userId],
    );
    return { buildId, projectId };
  }

  const batch = (buildId: string, lines: string[], extra: Partial<BuildLogBatch> = {}): BuildLogBatch => ({
    buildId,
    attempt: 1,
    droppedBefore: 0,
    maxBytes: MAX_BYTES,
    lines: lines.map((line) => ({ at: new Date(), stream: 'stdout', line })),
    ...extra,
  });

  async function totals(buildId: string) {
    const [row] = await db.query<{ last_seq: string; stored_bytes: string; dropped_lines: string; counted: string }>(
      `SELECT last_seq, stored_bytes, dropped_lines,
              (SELECT coalesce(sum(octet_length(line) + $2), 0) FROM build_log_lines l WHERE l.build_id = b.build_id) AS counted
         FROM build_logs b WHERE build_id = $1`,
      [buildId, LOG_LINE_OVERHEAD_BYTES],
    );
    return row;
  }

  it('numbers the lines of each batch after the last, with their attempt, and keeps the totals', async () => {
    const { buildId } = await build();

    await logs.append(batch(buildId, ['one', 'two']));
    await logs.append(batch(buildId, ['three'], { attempt: 2 }));

    expect((await logs.page(buildId, 0, 10)).items.map(({ seq, attempt, line }) => [seq, attempt, line])).toEqual([
      [1, 1, 'one'],
      [2, 1, 'two'],
      [3, 2, 'three'],
    ]);
    expect(await totals(buildId)).toMatchObject({ last_seq: '3', stored_bytes: String(cost(['one', 'two', 'three'])) });
  });

  it('drops the oldest lines past the bound, keeping one marker in their place that counts them all', async () => {
    const { buildId } = await build();
    const kilobyte = (index: number) => text(1024 - LOG_LINE_OVERHEAD_BYTES, String(index % 10));

    for (let round = 0; round < 3; round++) {
      await logs.append(
        batch(
          buildId,
          Array.from({ length: 40 }, (_, index) => kilobyte(round * 40 + index)),
        ),
      );
    }

    const { items, droppedLines, hasMore } = await logs.page(buildId, 0, 1000);
    const row = await totals(buildId);
    expect(hasMore).toBe(false);
    expect(Number(row.stored_bytes)).toBeLessThanOrEqual(MAX_BYTES);
    expect(row.counted).toBe(row.stored_bytes);
    expect(String(droppedLines)).toBe(row.dropped_lines);
    // 120 lines of 1 KiB in a bound of 64 KiB, 256 bytes of it kept for the marker.
    expect(droppedLines).toBe(120 - (items.length - 1));
    expect(droppedLines).toBeGreaterThanOrEqual(120 - (MAX_BYTES - LOG_MARKER_ROOM_BYTES) / 1024);
    const [marker, ...kept] = items;
    expect(marker).toMatchObject({
      seq: droppedLines,
      stream: 'system',
      line: `[${droppedLines} earlier lines dropped: a build keeps the newest ${MAX_BYTES} bytes of its log]`,
    });
    expect(kept.map((line) => line.seq)).toEqual(kept.map((_line, index) => droppedLines + 1 + index));
    expect(kept.at(-1)).toMatchObject({ seq: 120, line: kilobyte(119) });
  });

  it('numbers lines the worker dropped before a batch, and drops every older line with them', async () => {
    const { buildId } = await build();
    await logs.append(batch(buildId, ['old 1', 'old 2']));

    await logs.append(batch(buildId, ['new 1', 'new 2'], { droppedBefore: 5 }));

    const { items, droppedLines } = await logs.page(buildId, 0, 10);
    expect(droppedLines).toBe(7);
    expect(items.map(({ seq, stream, line }) => `${seq} ${stream} ${line}`)).toEqual([
      `7 system [7 earlier lines dropped: a build keeps the newest ${MAX_BYTES} bytes of its log]`,
      '8 stdout new 1',
      '9 stdout new 2',
    ]);
    const row = await totals(buildId);
    expect(row.counted).toBe(row.stored_bytes);
  });

  it('stores nothing, and fails nothing, for a build that is gone; its log goes with its project', async () => {
    const { buildId, projectId } = await build();
    await logs.append(batch(buildId, ['kept until the delete']));

    await db.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
    await logs.append(batch(buildId, ['too late']));

    expect(await db.query(`SELECT 1 FROM build_logs WHERE build_id = $1`, [buildId])).toEqual([]);
    expect(await db.query(`SELECT 1 FROM build_log_lines WHERE build_id = $1`, [buildId])).toEqual([]);
  });

  it('notifies build_log with the build id once the batch is committed', async () => {
    const { buildId } = await build();
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard = new Promise<string | undefined>((resolve) =>
        listener.on('notification', ({ channel, payload }) => channel === 'build_log' && resolve(payload)),
      );
      await listener.query('LISTEN build_log');

      await logs.append(batch(buildId, ['hello']));

      expect(await heard).toBe(buildId);
    } finally {
      await listener.end();
    }
  });
});
