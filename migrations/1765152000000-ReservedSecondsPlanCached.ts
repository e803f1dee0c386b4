import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ai_time_sessions_reserved` (migration AiTimeReservations) was a SQL function: PostgreSQL cannot
 * inline one with an aggregate, so every create and update planned its query anew, about a tenth
 * of the create's time in the database (ADR 031). As PL/pgSQL its plan is cached per connection.
 */
export class ReservedSecondsPlanCached1765152000000 implements MigrationInterface {
  name = 'ReservedSecondsPlanCached1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- src/billing: the seconds a user's open sessions hold back from the balance.
      CREATE OR REPLACE FUNCTION ai_time_sessions_reserved(p_user uuid)
      RETURNS bigint LANGUAGE plpgsql STABLE AS $$
      BEGIN
        RETURN (SELECT coalesce(sum(seconds_reserved), 0) FROM ai_time_sessions WHERE user_id = p_user AND status = 'active');
      END $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION ai_time_sessions_reserved(p_user uuid)
      RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT coalesce(sum(seconds_reserved), 0) FROM ai_time_sessions WHERE user_id = p_user AND status = 'active';
      $$;
    `);
  }
}
