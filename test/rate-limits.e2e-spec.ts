import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RateLimits1764288000000 } from '../migrations/1764288000000-RateLimits';
import { DatabaseConnection } from '../src/database/database-connection';
import { postgresOptions } from '../src/database/data-source-options';
import { DatabaseUnavailableError } from '../src/database/database.errors';
import { RateLimitsConfig } from '../src/rate-limits/rate-limits.config';
import { RateLimitedError } from '../src/rate-limits/rate-limits.errors';
import { USER_WRITES_KEY_PREFIX, UserRateLimitService } from '../src/rate-limits/user-rate-limit.service';
import { createTestDatabase, TestDatabase } from './support/test-database';

/** Nothing listens on port 1: a service pointed there fails as soon as it talks to its store. */
const UNREACHABLE_URL = 'postgres://nobody:nothing@127.0.0.1:1/none';

const config = (perMinute: number): RateLimitsConfig =>
  RateLimitsConfig.fromEnv({ RATE_LIMIT_PER_MINUTE: `${perMinute}` });

/** What consume did: undefined when it let the request through, otherwise what it threw. */
const outcome = (promise: Promise<void>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('UserRateLimitService (rate-limiter-flexible on PostgreSQL)', () => {
  let db: TestDatabase;
  const services: UserRateLimitService[] = [];

  /** A service as one API process would have it; ended after the test file. */
  const service = (perMinute: number, url: string = db.url): UserRateLimitService => {
    const created = new UserRateLimitService(new DatabaseConnection(url), config(perMinute));
    services.push(created);
    return created;
  };

  const storedPoints = async (userId: string): Promise<number | undefined> => {
    const rows = await db.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = $1`, [
      `${USER_WRITES_KEY_PREFIX}:${userId}`,
    ]);
    return rows[0]?.points;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(services.map((created) => created.onModuleDestroy()));
    await db.drop();
  });

  it('lets the first N through and refuses the N+1st with rate_limited and a Retry-After within the minute', async () => {
    const limits = service(5);
    const userId = randomUUID();

    for (let i = 0; i < 5; i++) await expect(limits.consume(userId)).resolves.toBeUndefined();
    const refused = await outcome(limits.consume(userId));

    expect(refused).toBeInstanceOf(RateLimitedError);
    const { code, retryAfterSeconds } = refused as RateLimitedError;
    expect(code).toBe('rate_limited');
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Number.isInteger(retryAfterSeconds)).toBe(true);
    // Still refused on the next try: refused attempts count too.
    await expect(limits.consume(userId)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('counts N concurrent requests exactly: of N + 3 racing, exactly N pass', async () => {
    const limits = service(10);
    const userId = randomUUID();

    const results = await Promise.all(Array.from({ length: 13 }, () => outcome(limits.consume(userId))));

    expect(results.filter((result) => result === undefined)).toHaveLength(10);
    expect(results.filter((result) => result instanceof RateLimitedError)).toHaveLength(3);
    expect(await storedPoints(userId)).toBe(13);
  });

  it('limits each user on their own: one user at the limit does not affect another', async () => {
    const limits = service(3);
    const [busy, other] = [randomUUID(), randomUUID()];

    for (let i = 0; i < 3; i++) await limits.consume(busy);
    await expect(limits.consume(busy)).rejects.toBeInstanceOf(RateLimitedError);

    for (let i = 0; i < 3; i++) await expect(limits.consume(other)).resolves.toBeUndefined();
    await expect(limits.consume(other)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('shares one count between processes: two services (own pools) together allow N, not 2N', async () => {
    const [first, second] = [service(4), service(4)];
    const userId = randomUUID();

    await first.consume(userId);
    await second.consume(userId);
    await first.consume(userId);
    await second.consume(userId);

    await expect(first.consume(userId)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(second.consume(userId)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await storedPoints(userId)).toBe(6);
  });

  it('treats one user as one key whatever the UUID spelling', async () => {
    const limits = service(2);
    const userId = randomUUID();

    await limits.consume(userId);
    await limits.consume(userId.toUpperCase());

    await expect(limits.consume(userId)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('starts a fresh window once the minute is over', async () => {
    const limits = service(2);
    const userId = randomUUID();
    await limits.consume(userId);
    await limits.consume(userId);
    await expect(limits.consume(userId)).rejects.toBeInstanceOf(RateLimitedError);

    // As if the minute had passed: the window ended a moment ago.
    await db.query(`UPDATE rate_limits SET expire = $1 WHERE key = $2`, [
      Date.now() - 1,
      `${USER_WRITES_KEY_PREFIX}:${userId}`,
    ]);

    await expect(limits.consume(userId)).resolves.toBeUndefined();
    expect(await storedPoints(userId)).toBe(1);
  });

  it('with RATE_LIMIT_PER_MINUTE=0 never refuses and never touches the database', async () => {
    const userId = randomUUID();
    const off = service(0);
    const offAndUnreachable = service(0, UNREACHABLE_URL);

    for (let i = 0; i < 100; i++) {
      await expect(off.consume(userId)).resolves.toBeUndefined();
      await expect(offAndUnreachable.consume(userId)).resolves.toBeUndefined();
    }

    expect(await storedPoints(userId)).toBeUndefined();
  });

  it('refuses, as database_unavailable, when the store cannot be reached (never lets the request through)', async () => {
    const limits = service(5, UNREACHABLE_URL);

    const error = await outcome(limits.consume(randomUUID()));

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as DatabaseUnavailableError).code).toBe('database_unavailable');
  });

  it('sweeps windows that ended long ago and keeps current ones', async () => {
    const limits = service(5);
    const [stale, current] = [randomUUID(), randomUUID()];
    await limits.consume(stale);
    await limits.consume(current);
    await db.query(`UPDATE rate_limits SET expire = $1 WHERE key = $2`, [
      Date.now() - 60 * 60_000,
      `${USER_WRITES_KEY_PREFIX}:${stale}`,
    ]);

    await limits.sweepExpired();

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

  it('creates rate_limits with exactly the layout rate-limiter-flexible writes (key primary, points, expire)', async () => {
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
