import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { BOUNDED_WAITS, MIGRATIONS, postgresOptions } from '../../src/database/data-source-options';
import { MIGRATIONS_LOCK } from '../../src/database/advisory-lock';
import { runMigrationsLocked } from '../../src/database/migrate';
import { withClient } from '../support/pg-client';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import {
  databaseUrl,
  quoteIdentifier,
  TEST_SERVER_URL_VARIABLE,
  TEST_TEMPLATE_VARIABLE,
} from '../support/test-environment';

const OUR_TABLES = [
  'ai_time_balances',
  'ai_time_ledger',
  'ai_time_sessions',
  'idempotency_keys',
  'project_build_metrics',
  'project_versions',
  'projects',
  'rate_limits',
  'recent_creates',
].sort();

const MIGRATION_NAMES = MIGRATIONS.map((migration) => new migration().name ?? migration.name).sort();

/** Our tables present in the public schema (TypeORM's own bookkeeping table excluded). */
async function ourTables(db: Pick<TestDatabase, 'query'>): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name`,
    [OUR_TABLES],
  );
  return rows.map((row) => row.table_name);
}

async function ourDomains(db: Pick<TestDatabase, 'query'>): Promise<string[]> {
  const rows = await db.query<{ domain_name: string }>(
    `SELECT domain_name FROM information_schema.domains WHERE domain_schema = 'public' ORDER BY domain_name`,
  );
  return rows.map((row) => row.domain_name);
}

async function recordedMigrations(db: Pick<TestDatabase, 'query'>): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT name FROM typeorm_migrations ORDER BY name`);
  return rows.map((row) => row.name);
}

/** Runs `work` with an initialised DataSource on `url`, destroyed afterwards. */
async function withDataSource<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource(postgresOptions(url));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function undoAllMigrations(url: string): Promise<void> {
  await withDataSource(url, async (dataSource) => {
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'all' });
  });
}

/** Several processes starting at once: each its own DataSource (own pool), all migrating together. */
async function migrateConcurrently(url: string, processes: number): Promise<void> {
  const dataSources = Array.from({ length: processes }, () => new DataSource(postgresOptions(url)));
  await Promise.all(dataSources.map((dataSource) => dataSource.initialize()));
  try {
    const results = await Promise.allSettled(dataSources.map((dataSource) => runMigrationsLocked(dataSource)));
    expect(results.map((result) => result.status)).toEqual(Array(processes).fill('fulfilled'));
  } finally {
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
  }
}

describe('migrations', () => {
  it('the template is fully migrated: every table of ours and one row per migration', async () => {
    const db = await createTestDatabase();
    try {
      expect(await ourTables(db)).toEqual(OUR_TABLES);
      expect(await recordedMigrations(db)).toEqual(MIGRATION_NAMES);
    } finally {
      await db.drop();
    }
  });

  it('are reversible: undoing drops every table and domain of ours, running them again restores them', async () => {
    const db = await createTestDatabase();
    try {
      expect(await ourDomains(db)).toEqual(['framework', 'ulid']);

      await undoAllMigrations(db.url);
      expect(await ourTables(db)).toEqual([]);
      expect(await ourDomains(db)).toEqual([]);
      expect(await recordedMigrations(db)).toEqual([]);

      await withDataSource(db.url, (dataSource) => runMigrationsLocked(dataSource));
      expect(await ourTables(db)).toEqual(OUR_TABLES);
      expect(await ourDomains(db)).toEqual(['framework', 'ulid']);
      expect(await recordedMigrations(db)).toEqual(MIGRATION_NAMES);

      // The restored schema works, not just exists.
      const projectId = randomUUID();
      await db.query(
        `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, 'p', 'react', 'server')`,
        [projectId, randomUUID()],
      );
      expect(await db.query(`SELECT id FROM projects`)).toEqual([{ id: projectId }]);
    } finally {
      await db.drop();
    }
  });

  it("wait for another process's migrations beyond the service's lock bound, and hand the connection back bounded", async () => {
    const db = await createTestDatabase();
    const dataSource = new DataSource({
      ...postgresOptions(db.url),
      extra: { ...postgresOptions(db.url).extra, ...BOUNDED_WAITS, lock_timeout: 200, max: 1 },
    });
    await dataSource.initialize();
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await undoAllMigrations(db.url);
      // Another process migrating: it holds the migrations lock longer than the bound.
      await holder.query('SELECT pg_advisory_lock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
      const migrating = runMigrationsLocked(dataSource);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await holder.query('SELECT pg_advisory_unlock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
      await migrating;

      expect(await recordedMigrations(db)).toEqual(MIGRATION_NAMES);
      expect(await dataSource.query(`SELECT current_setting('lock_timeout') AS bound`)).toEqual([{ bound: '200ms' }]);
    } finally {
      await holder.end();
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('three processes migrating an undone database at once all succeed and apply each migration once', async () => {
    const db = await createTestDatabase();
    try {
      await undoAllMigrations(db.url);
      expect(await ourTables(db)).toEqual([]);

      await migrateConcurrently(db.url, 3);

      expect(await ourTables(db)).toEqual(OUR_TABLES);
      const [{ rows, distinct }] = await db.query<{ rows: number; distinct: number }>(
        `SELECT count(*)::int AS rows, count(DISTINCT name)::int AS distinct FROM typeorm_migrations`,
      );
      expect({ rows, distinct }).toEqual({ rows: MIGRATIONS.length, distinct: MIGRATIONS.length });
      expect(await recordedMigrations(db)).toEqual(MIGRATION_NAMES);
    } finally {
      await db.drop();
    }
  });

  it('three processes migrating a brand-new, empty database at once all succeed and apply each migration once', async () => {
    // Named like the test databases so global teardown drops it should this file crash.
    const serverUrl = process.env[TEST_SERVER_URL_VARIABLE]!;
    const name = `${process.env[TEST_TEMPLATE_VARIABLE]}_file_${randomBytes(6).toString('hex')}`;
    await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
    const url = databaseUrl(serverUrl, name);
    const query = async <T extends object>(sql: string, params?: unknown[]): Promise<T[]> =>
      withClient(url, async (client) => (await client.query<T>(sql, params)).rows);
    try {
      await migrateConcurrently(url, 3);

      expect(await ourTables({ query })).toEqual(OUR_TABLES);
      expect(await recordedMigrations({ query })).toEqual(MIGRATION_NAMES);
    } finally {
      await withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`),
      );
    }
  });

  describe('schema guards', () => {
    let db: TestDatabase;
    let projectId: string;
    let ownerId: string;
    let ulidSequence = 0;

    /** A fresh, valid ULID (Crockford base32, 26 characters). */
    const ulid = (): string => `01JDRZ8Q4XK8V1N9E6W3T${String(ulidSequence++).padStart(5, '0')}`;

    const insertBuild = (overrides: { buildId?: string; status?: string; finishedAt?: Date | null } = {}) =>
      db.query(
        `INSERT INTO project_build_metrics
           (build_id, version_id, project_id, user_id, is_initial_build, status, finished_at, framework, prompt)
         VALUES ($1, $2, $3, $4, true, $5, $6, 'react', 'a prompt')`,
        [
          overrides.buildId ?? ulid(),
          ulid(),
          projectId,
          ownerId,
          overrides.status ?? 'queued',
          overrides.finishedAt ?? null,
        ],
      );

    const insertProject = (framework: string, id: string = randomUUID()) =>
      db.query(`INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, 'p', $3, 'server')`, [
        id,
        ownerId,
        framework,
      ]);

    beforeAll(async () => {
      db = await createTestDatabase();
      ownerId = randomUUID();
      projectId = randomUUID();
      await insertProject('react', projectId);
    });
    afterAll(() => db.drop());

    it('refuses a project whose framework is not one of the six (CHECK on the framework domain)', async () => {
      await expect(insertProject('jquery')).rejects.toMatchObject({
        code: '23514',
        message: expect.stringContaining('domain framework'),
      });
      for (const framework of ['react', 'nextjs', 'vue', 'svelte', 'angular', 'astro']) await insertProject(framework);
      expect(await db.query(`SELECT count(*)::int AS n FROM projects WHERE framework = 'jquery'`)).toEqual([{ n: 0 }]);
    });

    it.each([
      ['too short', '01JDRZ8Q4XK8V1N9E6W3T2Y5B'],
      ['lower case', '01jdrz8q4xk8v1n9e6w3t2y5b6'],
      ['with a letter Crockford excludes (U)', '01JDRZ8Q4XK8V1N9E6W3T2Y5BU'],
      ['a UUID', randomUUID()],
    ])('refuses a build whose build_id is a malformed ULID: %s', async (_case, buildId) => {
      await expect(insertBuild({ buildId, status: 'failed', finishedAt: new Date() })).rejects.toMatchObject({
        code: '23514',
        message: expect.stringContaining('domain ulid'),
      });
      expect(await db.query(`SELECT 1 FROM project_build_metrics WHERE build_id = $1`, [buildId])).toEqual([]);
    });

    it('refuses a second queued or running build for the same project (unique partial index), but not a finished one', async () => {
      await insertBuild({ status: 'queued' });

      for (const status of ['queued', 'running'])
        await expect(insertBuild({ status })).rejects.toMatchObject({
          code: '23505',
          constraint: 'project_build_metrics_one_active_idx',
        });

      // Finished builds are history: any number may sit beside the active one.
      await insertBuild({ status: 'succeeded', finishedAt: new Date() });
      await insertBuild({ status: 'failed', finishedAt: new Date() });
      expect(
        await db.query(
          `SELECT status, count(*)::int AS n FROM project_build_metrics WHERE project_id = $1 GROUP BY status ORDER BY status`,
          [projectId],
        ),
      ).toEqual([
        { status: 'failed', n: 1 },
        { status: 'queued', n: 1 },
        { status: 'succeeded', n: 1 },
      ]);
    });
  });
});
