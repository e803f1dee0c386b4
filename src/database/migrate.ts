import { DataSource } from 'typeorm';
import { MigrationExecutor } from 'typeorm/migration/MigrationExecutor';
import { MIGRATIONS_LOCK } from './advisory-lock';

/**
 * Runs pending migrations while holding a session advisory lock, so processes starting together
 * (several APIs and workers) migrate once, one after another, instead of racing. They run on the
 * lock's own connection, with the service's bounds on waits lifted (WAIT_LIMITS): a migration may
 * rightly take longer than a request's statement.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    // Unbounded, the wait for another process's migrations included.
    await runner.query('SET lock_timeout = 0; SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0');
    try {
      await runner.query('SELECT pg_advisory_lock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
      try {
        const migrations = new MigrationExecutor(dataSource, runner);
        migrations.transaction = 'all';
        await migrations.executePendingMigrations();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1, $2)', [MIGRATIONS_LOCK.namespace, MIGRATIONS_LOCK.key]);
      }
    } finally {
      // The connection goes back to the pool with the session's bounds; a broken one the pool drops anyway.
      await runner
        .query('RESET lock_timeout; RESET statement_timeout; RESET idle_in_transaction_session_timeout')
        .catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
