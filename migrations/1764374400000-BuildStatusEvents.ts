import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Announces every change of a build's status on the `build_status` channel, with the build id as
 * the payload, so `GET /v1/builds/:buildId/events` in any API process learns of changes made by a
 * worker in any other. NOTIFY is sent on commit only, so listeners never see a rolled-back status.
 */
export class BuildStatusEvents1764374400000 implements MigrationInterface {
  name = 'BuildStatusEvents1764374400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION notify_build_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- UPDATE OF status also fires when status is set to the value it had (a retried attempt).
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
          PERFORM pg_notify('build_status', NEW.build_id::text);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER project_build_metrics_status_notify
        AFTER INSERT OR UPDATE OF status ON project_build_metrics
        FOR EACH ROW EXECUTE FUNCTION notify_build_status();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER project_build_metrics_status_notify ON project_build_metrics;
      DROP FUNCTION notify_build_status();
    `);
  }
}
