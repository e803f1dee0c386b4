import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Writes a create made that no rule needs (ADR 045): on a server whose disk is the bottleneck, a
 * create's throughput follows the WAL it logs. The sweeps' indexes on `created_at` become BRIN, as
 * `spent_signatures` already has: rows arrive in time order, and a BRIN index logs nothing for most
 * inserts. The ledger's unique index on `build_id` leaves out the rows without a build (welcome
 * and grant rows), which it indexed as NULLs for nothing. And a project at a server-chosen id is
 * inserted without ON CONFLICT: a fresh random id cannot be taken, and the speculative insertion
 * cost a WAL record and an index probe.
 */
export class LeanerCreateWrites1765756800000 implements MigrationInterface {
  name = 'LeanerCreateWrites1765756800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX recent_creates_created_idx;
      CREATE INDEX recent_creates_created_idx ON recent_creates USING brin (created_at);
      DROP INDEX idempotency_keys_created_idx;
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys USING brin (created_at);

      ALTER TABLE ai_time_ledger DROP CONSTRAINT ai_time_ledger_build_id_key;
      CREATE UNIQUE INDEX ai_time_ledger_build_id_key ON ai_time_ledger (build_id) WHERE build_id IS NOT NULL;

      -- src/projects: a new project; false when the (legacy, caller-chosen) id is taken. ON CONFLICT
      -- also waits out a concurrent insert of the same id and then reports the conflict. A
      -- server-chosen id is a fresh random UUID: nothing can hold it, so it is inserted without.
      CREATE OR REPLACE FUNCTION projects_insert(p_project uuid, p_owner uuid, p_name text, p_framework text, p_id_source text)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        IF p_id_source = 'server' THEN
          INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES (p_project, p_owner, p_name, p_framework, p_id_source);
          RETURN true;
        END IF;
        INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES (p_project, p_owner, p_name, p_framework, p_id_source)
        ON CONFLICT DO NOTHING;
        RETURN FOUND;
      END $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION projects_insert(p_project uuid, p_owner uuid, p_name text, p_framework text, p_id_source text)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES (p_project, p_owner, p_name, p_framework, p_id_source)
        ON CONFLICT DO NOTHING;
        RETURN FOUND;
      END $$;

      DROP INDEX ai_time_ledger_build_id_key;
      ALTER TABLE ai_time_ledger ADD CONSTRAINT ai_time_ledger_build_id_key UNIQUE (build_id);

      DROP INDEX idempotency_keys_created_idx;
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
      DROP INDEX recent_creates_created_idx;
      CREATE INDEX recent_creates_created_idx ON recent_creates (created_at);
    `);
  }
}
