import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dedupe window's memory: the last create per user and request fingerprint, with the response
 * it got, so an identical create inside DEDUPE_WINDOW_MS answers with the first project.
 */
export class RecentCreates1764201600000 implements MigrationInterface {
  name = 'RecentCreates1764201600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE recent_creates (
        owner_id     uuid NOT NULL,
        request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
        body         jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, request_hash)
      );
      CREATE INDEX recent_creates_created_idx ON recent_creates (created_at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE recent_creates`);
  }
}
