import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (ADR 039): a version beyond the newest VERSIONS_KEPT of its project, and not its current
 * one, has its files removed by the janitor and is kept as a row marked expired, so its preview can
 * answer `410 version_expired` and the audit can tell an expired version from one whose files are
 * missing. The partial index serves the janitor's search for versions still to expire.
 */
export class VersionRetention1765584000000 implements MigrationInterface {
  name = 'VersionRetention1765584000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE project_versions ADD COLUMN expired_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX project_versions_unexpired_idx ON project_versions (project_id, version_id DESC) WHERE expired_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX project_versions_unexpired_idx`);
    await queryRunner.query(`ALTER TABLE project_versions DROP COLUMN expired_at`);
  }
}
