import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored responses keep the text they were stored with: `json`, unlike `jsonb`, keeps the order of
 * the keys, so a replay answers with the very bytes the first response had, not just equal JSON.
 */
export class VerbatimReplayBodies1764547200000 implements MigrationInterface {
  name = 'VerbatimReplayBodies1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE idempotency_keys ALTER COLUMN body TYPE json USING body::json;
      ALTER TABLE recent_creates ALTER COLUMN body TYPE json USING body::json;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE idempotency_keys ALTER COLUMN body TYPE jsonb USING body::jsonb;
      ALTER TABLE recent_creates ALTER COLUMN body TYPE jsonb USING body::jsonb;
    `);
  }
}
