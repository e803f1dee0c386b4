import { USER_CLAIMS_LOCK_NAMESPACE } from '../database/advisory-lock';

/**
 * The SQL that holds a user's running builds to `buildsPerUser` exactly (ADR 038), on the build
 * queue's job table. pg-boss's `groupConcurrency` skips a user at the limit, but it decides in the
 * fetch's own snapshot: two workers fetching at once each see the other's claim uncommitted and both
 * claim a job of the same user. This trigger serialises the claims of one user's jobs on a lock and
 * counts the claims already committed (a statement inside a function sees those); a claim over the
 * limit is skipped (the row is left as it was), so that fetch returns nothing and the job waits on.
 * Only the claim is guarded: a job leaving `active` (completed, failed, retried, expired, taken back
 * from a silent worker) frees its place as it commits.
 */
export function userBuildLimitGuard(schema: string, table: string, queue: string, buildsPerUser: number): string {
  const limit = Math.trunc(buildsPerUser);
  return `
    CREATE OR REPLACE FUNCTION build_queue_claim_within_user_limit() RETURNS trigger LANGUAGE plpgsql AS $guard$
    BEGIN
      PERFORM pg_advisory_xact_lock(${USER_CLAIMS_LOCK_NAMESPACE}, hashtext(NEW.group_id));
      IF (SELECT count(*) FROM ${schema}.${table}
           WHERE name = NEW.name AND state = 'active' AND group_id = NEW.group_id AND id <> NEW.id) >= ${limit} THEN
        RETURN NULL;
      END IF;
      RETURN NEW;
    END $guard$;
    -- Created once: replacing a trigger locks the table against every insert, a function does not.
    DO $create$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_trigger
                      WHERE tgname = 'build_queue_claim_within_user_limit' AND tgrelid = '${schema}.${table}'::regclass) THEN
        CREATE TRIGGER build_queue_claim_within_user_limit
          BEFORE UPDATE OF state ON ${schema}.${table} FOR EACH ROW
          WHEN (NEW.name = '${queue}' AND NEW.state = 'active' AND OLD.state < 'active' AND NEW.group_id IS NOT NULL)
          EXECUTE FUNCTION build_queue_claim_within_user_limit();
      END IF;
    END $create$;`;
}
