import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A build's owner may cancel it (ADR 035): `canceled` is a status of its own, terminal and finished
 * like `succeeded` and `failed`. The one-active-build index keeps covering only `queued` and
 * `running`, so an update may start right after a cancel.
 */
export class BuildCanceled1765238400000 implements MigrationInterface {
  name = 'BuildCanceled1765238400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE project_build_metrics
        DROP CONSTRAINT project_build_metrics_status_check,
        DROP CONSTRAINT project_build_metrics_check,
        ADD CONSTRAINT project_build_metrics_status_check
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
        ADD CONSTRAINT project_build_metrics_check
          CHECK ((status IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL))
    `);
  }

  /** Canceled builds become failed ones, the nearest status the older schema knows; nothing else changes. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE project_build_metrics
        DROP CONSTRAINT project_build_metrics_status_check,
        DROP CONSTRAINT project_build_metrics_check;
      UPDATE project_build_metrics SET status = 'failed', error = coalesce(error, 'canceled') WHERE status = 'canceled';
      ALTER TABLE project_build_metrics
        ADD CONSTRAINT project_build_metrics_status_check
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        ADD CONSTRAINT project_build_metrics_check
          CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
    `);
  }
}
