import { TestDatabase } from './test-database';

/**
 * Runs `work` while every insert into pg-boss's job table is silently skipped (a BEFORE trigger
 * returning NULL), as pg-boss's own insert skips a job on a singleton clash: the queue answers with
 * no job id, and whoever enqueued must notice.
 */
export async function whileTheQueueInsertsNothing<T>(db: TestDatabase, work: () => Promise<T>): Promise<T> {
  await db.query(`CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`);
  await db.query(`CREATE TRIGGER skip_job BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION skip_row()`);
  try {
    return await work();
  } finally {
    await db.query(`DROP TRIGGER skip_job ON pgboss.job`);
    await db.query(`DROP FUNCTION skip_row()`);
  }
}
