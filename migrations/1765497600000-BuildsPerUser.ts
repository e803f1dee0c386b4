import { MigrationInterface, QueryRunner } from 'typeorm';
import { QUEUE_PROJECT_BUILD_V2 } from './1764892800000-AiTimeReservations';

/**
 * A user's builds run at most BUILDS_PER_USER at once across every worker (ADR 038): each build job
 * is queued in its user's pg-boss group, which the workers' `groupConcurrency` limits. The group is
 * set where the job is written, in the create's and the update's own statement: no query is added.
 */
export class BuildsPerUser1765497600000 implements MigrationInterface {
  name = 'BuildsPerUser1765497600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- src/project-requests: what create and update share: the build, the project pointed at it, its
      -- AI-time session and its job, in its user's group. Returns the build's row id and the job id.
      CREATE OR REPLACE FUNCTION queue_project_build(
        p_project uuid, p_user uuid, p_prompt text, p_framework text, p_initial boolean,
        p_build text, p_version text, p_session text, p_job_data json, p_reserve_seconds integer,
        OUT build_metrics_id integer, OUT job_id uuid)
      LANGUAGE plpgsql AS $$
      BEGIN
        build_metrics_id := project_build_metrics_record_queued(
          p_build, p_version, p_project, p_user, p_initial, p_framework, p_prompt);
        PERFORM projects_mark_build_queued(p_project, p_build, p_framework);
        PERFORM ai_time_sessions_open(p_session, p_user, p_project, p_build, p_reserve_seconds);
        SELECT id INTO job_id FROM build_queue_insert(
          json_build_array(json_build_object('data', p_job_data, 'groupId', p_user))::text) AS id;
        -- pg-boss inserts nothing when the queue refuses the job (a singleton clash, say).
        IF job_id IS NULL THEN RAISE EXCEPTION 'the build job of % was not enqueued', p_build; END IF;
      END $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION queue_project_build;
      ${QUEUE_PROJECT_BUILD_V2}
    `);
  }
}
