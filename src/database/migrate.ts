import { DataSource } from 'typeorm';
import { MIGRATIONS_LOCK } from './advisory-lock';

/**
 * Runs pending migrations while holding a session advisory lock, so processes starting together
 * (several APIs and workers) migrate once, one after another, instead of racing.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
    }
  } finally {
    await runner.release();
  }
}
