import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the attempt now running started (database clock), so a build's time used so far can be read
 * from its row alone: by the worker that records the attempt, and by a delete that bills a build
 * it stops. NULL between attempts and once the build has finished.
 */
export class BuildAttemptStart1764460800000 implements MigrationInterface {
  name = 'BuildAttemptStart1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE project_build_metrics
        ADD COLUMN attempt_started_at timestamptz,
        ADD CONSTRAINT project_build_metrics_attempt_running_check
          CHECK (attempt_started_at IS NULL OR status = 'running')
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE project_build_metrics
        DROP CONSTRAINT project_build_metrics_attempt_running_check,
        DROP COLUMN attempt_started_at
    `);
  }
}
