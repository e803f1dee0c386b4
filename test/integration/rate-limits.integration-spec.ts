import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RateLimits1764288000000 } from '../../migrations/1764288000000-RateLimits';
import { postgresOptions } from '../../src/database/data-source-options';
import { RateLimitSweeper } from '../../src/rate-limits/rate-limit-sweeper';
import { RateLimit } from '../../src/rate-limits/rate-limit.entity';
import { withClient } from '../support/pg-client';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** What create_project and update_project count a start with (migration BuildRequestFunctions). */
describe('rate_limits_consume_user_write, the per-user count of starts', () => {
  let db: TestDatabase;

  /** One count in a transaction of its own, committed as a create commits: the ms until the window ends when refused. */
  const consume = (userId: string, perMinute: number): Promise<number | null> =>
    withClient(db.url, async (client) => {
      const { rows } = await client.query<{ retry_ms: string | null }>(
        'SELECT rate_limits_consume_user_write($1, $2) AS retry_ms',
        [userId, perMinute],
      );
      return rows[0].retry_ms === null ? null : Number(rows[0].retry_ms);
    });

  const storedPoints = async (userId: string): Promise<number | undefined> => {
    const rows = await db.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = $1`, [
      `user-writes:${userId}`,
    ]);
    return rows[0]?.points;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('lets the first N through and refuses the N+1st with the time left in the minute', async () => {
    const userId = randomUUID();

    for (let i = 0; i < 5; i++) expect(await consume(userId, 5)).toBeNull();
    const retryMs = await consume(userId, 5);

    expect(retryMs).toBeGreaterThan(0);
    expect(retryMs).toBeLessThanOrEqual(60_000);
    expect(await consume(userId, 5)).not.toBeNull();
  });

  it('counts N concurrent starts exactly, even without the user lock: of N + 3 racing, exactly N pass', async () => {
    const userId = randomUUID();

    const results = await Promise.all(Array.from({ length: 13 }, () => consume(userId, 10)));

    expect(results.filter((result) => result === null)).toHaveLength(10);
    expect(await storedPoints(userId)).toBe(13);
  });

  it('limits each user on their own: one user at the limit does not affect another', async () => {
    const [busy, other] = [randomUUID(), randomUUID()];
    for (let i = 0; i < 3; i++) await consume(busy, 3);
    expect(await consume(busy, 3)).not.toBeNull();

    for (let i = 0; i < 3; i++) expect(await consume(other, 3)).toBeNull();
    expect(await consume(other, 3)).not.toBeNull();
  });

  it('treats one user as one key whatever the UUID spelling', async () => {
    const userId = randomUUID();

    await consume(userId, 2);
    await consume(userId.toUpperCase(), 2);

    expect(await consume(userId, 2)).not.toBeNull();
  });

  it('starts a fresh window once the minute is over', async () => {
    const userId = randomUUID();
    await consume(userId, 2);
    await consume(userId, 2);
    expect(await consume(userId, 2)).not.toBeNull();

    // As if the minute had passed: the window ended a moment ago.
    await db.query(`UPDATE rate_limits SET expire = $1 WHERE key = $2`, [Date.now() - 1, `user-writes:${userId}`]);

    expect(await consume(userId, 2)).toBeNull();
    expect(await storedPoints(userId)).toBe(1);
  });

  it('with RATE_LIMIT_PER_MINUTE=0 never refuses and writes nothing', async () => {
    const userId = randomUUID();

    for (let i = 0; i < 100; i++) expect(await consume(userId, 0)).toBeNull();

    expect(await storedPoints(userId)).toBeUndefined();
  });

  it('sweeps windows that ended long ago and keeps current ones', async () => {
    const [stale, current] = [randomUUID(), randomUUID()];
    await consume(stale, 5);
    await consume(current, 5);
    await db.query(`UPDATE rate_limits SET expire = $1 WHERE key = $2`, [
      Date.now() - 60 * 60_000,
      `user-writes:${stale}`,
    ]);
    const dataSource = new DataSource(postgresOptions(db.url));
    await dataSource.initialize();
    try {
      await new RateLimitSweeper(dataSource.getRepository(RateLimit)).sweepExpired();
    } finally {
      await dataSource.destroy();
    }

    expect(await storedPoints(stale)).toBeUndefined();
    expect(await storedPoints(current)).toBe(1);
  });
});

describe('RateLimits migration', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const columns = () =>
    db.query(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'rate_limits'
        ORDER BY ordinal_position`,
    );

  it('creates rate_limits with the layout of rate-limiter-flexible, which first wrote it (key primary, points, expire)', async () => {
    expect(await columns()).toEqual([
      {
        column_name: 'key',
        data_type: 'character varying',
        character_maximum_length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'points',
        data_type: 'integer',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
      {
        column_name: 'expire',
        data_type: 'bigint',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
    ]);
    const [primaryKey] = await db.query<{ columns: string[] }>(
      `SELECT array_agg(a.attname::text) AS columns
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'public.rate_limits'::regclass AND i.indisprimary`,
    );
    expect(primaryKey.columns).toEqual(['key']);
    const [{ name }] = await db.query<{ name: string }>(
      `SELECT name FROM typeorm_migrations WHERE name = 'RateLimits1764288000000'`,
    );
    expect(name).toBe('RateLimits1764288000000');
  });

  it('is reversible: down drops the table, up restores it', async () => {
    const dataSource = new DataSource(postgresOptions(db.url));
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      const migration = new RateLimits1764288000000();
      await migration.down(runner);
      expect(await columns()).toEqual([]);

      await migration.up(runner);
      expect(await columns()).toHaveLength(3);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
  });
});
