import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `build_status` notifications for status changes only, not for a build's insert: nobody can follow a
 * build before its create has answered, and a NOTIFY inside the create's transaction serialises
 * every create's commit behind a database-wide lock (ADR 023).
 */
export class BuildStatusEventsOnChange1764720000000 implements MigrationInterface {
  name = 'BuildStatusEventsOnChange1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER project_build_metrics_status_notify ON project_build_metrics;
      CREATE TRIGGER project_build_metrics_status_notify
        AFTER UPDATE OF status ON project_build_metrics
        FOR EACH ROW EXECUTE FUNCTION notify_build_status();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER project_build_metrics_status_notify ON project_build_metrics;
      CREATE TRIGGER project_build_metrics_status_notify
        AFTER INSERT OR UPDATE OF status ON project_build_metrics
        FOR EACH ROW EXECUTE FUNCTION notify_build_status();
    `);
  }
}
