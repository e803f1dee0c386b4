import { MigrationInterface, QueryRunner } from 'typeorm';
import { BUILD_REQUEST_FUNCTIONS_V1 } from './1764633600000-BuildRequestFunctions';

/**
 * AI time is reserved, not overdrawn (ADR 028): each build's session holds `seconds_reserved` until
 * it closes, and a create or an update is refused when the balance less the user's open
 * reservations cannot cover the new one. A session that names no reservation (those open at
 * migration, the plan's own function in the benchmark) reserves one second, the least a build is
 * charged.
 */
export class AiTimeReservations1764892800000 implements MigrationInterface {
  name = 'AiTimeReservations1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE ai_time_sessions ADD COLUMN seconds_reserved integer NOT NULL DEFAULT 1 CHECK (seconds_reserved > 0);
      CREATE INDEX ai_time_sessions_active_user_idx ON ai_time_sessions (user_id) WHERE status = 'active';
      ${DROP_REQUEST_FUNCTIONS}
      -- src/billing: the build's session, open until its build ends, holding its reservation.
      CREATE FUNCTION ai_time_sessions_open(
        p_session text, p_user uuid, p_project uuid, p_build text, p_reserve_seconds integer)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ai_time_sessions (id, user_id, project_id, build_id, seconds_reserved)
        VALUES (p_session, p_user, p_project, p_build, p_reserve_seconds);
      END $$;

      -- src/billing: the seconds a user's open sessions hold back from the balance.
      CREATE FUNCTION ai_time_sessions_reserved(p_user uuid)
      RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT coalesce(sum(seconds_reserved), 0) FROM ai_time_sessions WHERE user_id = p_user AND status = 'active';
      $$;

      -- src/previews: why the user may not start a build now, as a refusal, or NULL: the balance
      -- (created with the welcome seconds for a new user) less what the user's queued and running
      -- builds reserved must cover this build's reservation, then the start is counted against the
      -- rate limit. Both refusals roll back, so neither leaves a count or a balance behind. The caller
      -- holds the user's lock, so no other start reads the same reservations.
      CREATE FUNCTION build_start_refusal(
        p_user uuid, p_welcome_seconds integer, p_rate_limit_per_minute integer, p_reserve_seconds integer)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_available bigint;
        v_retry_ms bigint;
      BEGIN
        SELECT seconds_remaining - ai_time_sessions_reserved(p_user) INTO v_available
          FROM ai_time_balances_ensure(p_user, p_welcome_seconds);
        IF v_available < p_reserve_seconds THEN
          RETURN json_build_object('answer', 'refused', 'code', 'insufficient_ai_time',
            'secondsAvailable', v_available, 'secondsNeeded', p_reserve_seconds);
        END IF;
        v_retry_ms := rate_limits_consume_user_write(p_user, p_rate_limit_per_minute);
        IF v_retry_ms IS NOT NULL THEN
          RETURN json_build_object('answer', 'refused', 'code', 'rate_limited', 'retryAfterMs', v_retry_ms);
        END IF;
        RETURN NULL;
      END $$;

      ${QUEUE_PROJECT_BUILD_V2}
      ${CREATE_PROJECT_V2}
      -- src/previews: POST /v1/update-project, in order; answers as create_project does. An update
      -- has no dedupe window: a repeat while its build is queued is 409 build_in_progress.
      CREATE FUNCTION update_project(
        p_user uuid, p_key text, p_fingerprint text, p_key_lifetime_hours integer,
        p_welcome_seconds integer, p_rate_limit_per_minute integer, p_reserve_seconds integer,
        p_project uuid, p_framework text, p_prompt text,
        p_build text, p_version text, p_session text, p_job_data json)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_answer json;
        v_framework text;
        v_active text;
        v_constraint text;
        v_queued record;
        v_body json;
      BEGIN
        v_answer := idempotency_keys_find(p_user, p_key, p_fingerprint, p_key_lifetime_hours);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;

        SELECT framework INTO v_framework FROM projects WHERE id = p_project AND owner_id = p_user;
        IF NOT FOUND THEN RETURN json_build_object('answer', 'refused', 'code', 'project_not_found'); END IF;
        SELECT build_id INTO v_active FROM project_build_metrics
         WHERE project_id = p_project AND status IN ('queued', 'running');
        IF FOUND THEN
          RETURN json_build_object('answer', 'refused', 'code', 'build_in_progress', 'buildId', v_active);
        END IF;

        v_answer := build_start_refusal(p_user, p_welcome_seconds, p_rate_limit_per_minute, p_reserve_seconds);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;

        BEGIN
          v_queued := queue_project_build(
            p_project, p_user, p_prompt, coalesce(p_framework, v_framework), false,
            p_build, p_version, p_session, p_job_data, p_reserve_seconds);
        EXCEPTION WHEN unique_violation THEN
          -- A build queued since the check by a writer not holding the owner's lock: the same 409.
          GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
          IF v_constraint IS DISTINCT FROM 'project_build_metrics_one_active_idx' THEN RAISE; END IF;
          SELECT build_id INTO v_active FROM project_build_metrics
           WHERE project_id = p_project AND status IN ('queued', 'running');
          RETURN json_build_object('answer', 'refused', 'code', 'build_in_progress', 'buildId', v_active);
        END;
        v_body := json_build_object(
          'success', true, 'projectId', p_project, 'versionId', p_version, 'buildId', p_build,
          'buildMetricsId', v_queued.build_metrics_id, 'jobId', v_queued.job_id, 'aiTimeSessionId', p_session,
          'status', 'queued');

        PERFORM idempotency_keys_record(p_user, p_key, p_fingerprint, 202, v_body);
        RETURN json_build_object('answer', 'created', 'body', v_body);
      END $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ${DROP_REQUEST_FUNCTIONS}
      DROP FUNCTION ai_time_sessions_reserved;
      DROP INDEX ai_time_sessions_active_user_idx;
      ALTER TABLE ai_time_sessions DROP COLUMN seconds_reserved;
      ${BUILD_REQUEST_FUNCTIONS_V1}
    `);
  }
}

/** Both versions have one signature each, so the names alone say which to drop. */
const DROP_REQUEST_FUNCTIONS =
  'DROP FUNCTION update_project, create_project, queue_project_build, build_start_refusal, ai_time_sessions_open;';

/** queue_project_build as this migration defines it (BuildsPerUser's down restores it). */
export const QUEUE_PROJECT_BUILD_V2 = `
      -- src/previews: what create and update share: the build, the project pointed at it, its
      -- AI-time session and its job. Returns the build's row id and the job id.
      CREATE FUNCTION queue_project_build(
        p_project uuid, p_user uuid, p_prompt text, p_framework text, p_initial boolean,
        p_build text, p_version text, p_session text, p_job_data json, p_reserve_seconds integer,
        OUT build_metrics_id integer, OUT job_id uuid)
      LANGUAGE plpgsql AS $$
      BEGIN
        build_metrics_id := project_build_metrics_record_queued(
          p_build, p_version, p_project, p_user, p_initial, p_framework, p_prompt);
        PERFORM projects_mark_build_queued(p_project, p_build, p_framework);
        PERFORM ai_time_sessions_open(p_session, p_user, p_project, p_build, p_reserve_seconds);
        SELECT id INTO job_id FROM build_queue_insert(json_build_array(json_build_object('data', p_job_data))::text) AS id;
        -- pg-boss inserts nothing when the queue refuses the job (a singleton clash, say).
        IF job_id IS NULL THEN RAISE EXCEPTION 'the build job of % was not enqueued', p_build; END IF;
      END $$;

`;

/** create_project as this migration defines it (SignatureSpentByCreate's down restores it). */
export const CREATE_PROJECT_V2 = `
      -- src/previews: POST /v1/create-preview-for-new-project, in order. Answers
      -- {"answer": "replay", "status", "body"} | {"answer": "dedupe", "body"} |
      -- {"answer": "refused", "code", ...} | {"answer": "created", "body"}.
      CREATE FUNCTION create_project(
        p_user uuid, p_key text, p_fingerprint text, p_key_lifetime_hours integer, p_dedupe_window_ms integer,
        p_welcome_seconds integer, p_rate_limit_per_minute integer, p_reserve_seconds integer,
        p_project uuid, p_id_source text, p_name text, p_framework text, p_prompt text,
        p_build text, p_version text, p_session text, p_job_data json)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_answer json;
        v_queued record;
        v_body json;
      BEGIN
        v_answer := idempotency_keys_find(p_user, p_key, p_fingerprint, p_key_lifetime_hours);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;
        IF p_key IS NULL THEN
          v_body := recent_creates_find(p_user, p_fingerprint, p_dedupe_window_ms);
          IF v_body IS NOT NULL THEN RETURN json_build_object('answer', 'dedupe', 'body', v_body); END IF;
        END IF;

        v_answer := build_start_refusal(p_user, p_welcome_seconds, p_rate_limit_per_minute, p_reserve_seconds);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;

        IF NOT projects_insert(p_project, p_user, p_name, p_framework, p_id_source) THEN
          RETURN json_build_object('answer', 'refused', 'code', 'project_id_conflict');
        END IF;
        v_queued := queue_project_build(
          p_project, p_user, p_prompt, p_framework, true, p_build, p_version, p_session, p_job_data, p_reserve_seconds);
        v_body := json_build_object(
          'success', true, 'projectId', p_project, 'versionId', p_version, 'buildId', p_build,
          'buildMetricsId', v_queued.build_metrics_id, 'jobId', v_queued.job_id, 'aiTimeSessionId', p_session,
          'status', 'queued', 'idSource', p_id_source, 'createdBy', 'worker-service');

        PERFORM idempotency_keys_record(p_user, p_key, p_fingerprint, 201, v_body);
        IF p_key IS NULL THEN PERFORM recent_creates_record(p_user, p_fingerprint, p_dedupe_window_ms, v_body); END IF;
        RETURN json_build_object('answer', 'created', 'body', v_body);
      END $$;
`;
