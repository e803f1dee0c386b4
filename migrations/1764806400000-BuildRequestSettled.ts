import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A build request that is one statement, the whole of its transaction (ADR 024), must not commit
 * what it wrote before it was refused (a new user's welcome balance, a rate-limit count):
 * `build_request_settled` passes create_project's and update_project's answers through and turns a
 * refusal into an error of its own SQLSTATE, carrying the answer, so the statement rolls back.
 */
export class BuildRequestSettled1764806400000 implements MigrationInterface {
  name = 'BuildRequestSettled1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- src/previews: the answer, unless it is a refusal: then SQLSTATE SR001 with the answer as DETAIL.
      CREATE FUNCTION build_request_settled(p_answer json)
      RETURNS json LANGUAGE plpgsql AS $$
      BEGIN
        IF p_answer->>'answer' = 'refused' THEN
          RAISE EXCEPTION 'build request refused: %', p_answer->>'code' USING ERRCODE = 'SR001', DETAIL = p_answer::text;
        END IF;
        RETURN p_answer;
      END $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION build_request_settled`);
  }
}
