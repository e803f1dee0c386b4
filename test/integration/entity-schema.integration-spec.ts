import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AiTimeBalance } from '../../src/billing/ai-time-balance.entity';
import { AiTimeLedgerEntry } from '../../src/billing/ai-time-ledger-entry.entity';
import { ENTITIES } from '../../src/database/entities';
import { entityFromRow } from '../../src/database/entity-rows';
import { postgresOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * The entities are each table's one description (ADR 032): what TypeORM would change to make the
 * migrated schema match them must be nothing, so an entity and a migration that drift apart fail
 * here, with the statements that would reconcile them in the message.
 */
describe('entities and the migrated schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(postgresOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('describe every table of ours (pg-boss has its own schema)', async () => {
    const rows = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'typeorm_migrations'
        ORDER BY table_name`,
    );
    const described = ENTITIES.map((entity) => dataSource.getMetadata(entity).tableName).sort();
    expect(described).toEqual(rows.map((row) => row.table_name));
  });

  it('are what the migrations made: the schema diff is empty', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    const diff = upQueries.map(({ query, parameters }) =>
      parameters?.length ? `${query} -- ${JSON.stringify(parameters)}` : query,
    );
    // Thrown rather than compared, so the statements print unescaped, one a line.
    if (diff.length > 0) {
      throw new Error(`The entities and the migrated schema differ; TypeORM would run:\n${diff.join(';\n')}`);
    }
  });

  it('are what SQL written by hand answers too: a returned row maps to the entity TypeORM loads', async () => {
    const userId = randomUUID();
    await dataSource.getRepository(AiTimeBalance).insert({ userId, secondsRemaining: 60 });
    const ledger = dataSource.getRepository(AiTimeLedgerEntry);
    const [row] = await ledger.query<Record<string, unknown>[]>(
      `INSERT INTO ai_time_ledger (user_id, kind, seconds, reason) VALUES ($1, 'welcome', 60, 'welcome') RETURNING *`,
      [userId],
    );

    const mapped = entityFromRow(ledger, row);

    expect(mapped).toBeInstanceOf(AiTimeLedgerEntry);
    expect(mapped).toEqual(await ledger.findOneBy({ userId }));
  });
});
