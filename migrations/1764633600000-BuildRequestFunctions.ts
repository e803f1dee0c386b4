import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A create or an update in one call (ADR 023): each step of the request is a function of the module
 * that owns its table, named after it, and `create_project` / `update_project` call them in order,
 * inside the caller's transaction, which already holds the user's advisory lock. Refusals are
 * answered, not raised, so the caller maps them to its domain errors and rolls back.
 *
 * The job insert, `build_queue_insert(jobs text)`, is pg-boss's own statement for the build queue;
 * BuildQueueService defines it at start from the pg-boss version installed (src/builds).
 */
/**
 * The functions migration AiTimeReservations replaced (its down() brings these back): the session,
 * the start check, the shared queueing step, and the two requests that call them.
 */
export const BUILD_REQUEST_FUNCTIONS_V1 = `
      -- src/billing: the build's session, open until its build ends.
      CREATE FUNCTION ai_time_sessions_open(p_session text, p_user uuid, p_project uuid, p_build text)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ai_time_sessions (id, user_id, project_id, build_id) VALUES (p_session, p_user, p_project, p_build);
      END $$;

      -- src/previews: why the user may not start a build now, as a refusal, or NULL: the balance
      -- (created with the welcome seconds for a new user) must be positive, then the start is counted
      -- against the rate limit. Both refusals roll back, so neither leaves a count or a balance behind.
      CREATE FUNCTION build_start_refusal(p_user uuid, p_welcome_seconds integer, p_rate_limit_per_minute integer)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_remaining integer;
        v_retry_ms bigint;
      BEGIN
        SELECT seconds_remaining INTO v_remaining FROM ai_time_balances_ensure(p_user, p_welcome_seconds);
        IF v_remaining <= 0 THEN
          RETURN json_build_object('answer', 'refused', 'code', 'insufficient_ai_time', 'secondsRemaining', v_remaining);
        END IF;
        v_retry_ms := rate_limits_consume_user_write(p_user, p_rate_limit_per_minute);
        IF v_retry_ms IS NOT NULL THEN
          RETURN json_build_object('answer', 'refused', 'code', 'rate_limited', 'retryAfterMs', v_retry_ms);
        END IF;
        RETURN NULL;
      END $$;

      -- src/previews: what create and update share: the build, the project pointed at it, its
      -- AI-time session and its job. Returns the build's row id and the job id.
      CREATE FUNCTION queue_project_build(
        p_project uuid, p_user uuid, p_prompt text, p_framework text, p_initial boolean,
        p_build text, p_version text, p_session text, p_job_data json,
        OUT build_metrics_id integer, OUT job_id uuid)
      LANGUAGE plpgsql AS $$
      BEGIN
        build_metrics_id := project_build_metrics_record_queued(
          p_build, p_version, p_project, p_user, p_initial, p_framework, p_prompt);
        PERFORM projects_mark_build_queued(p_project, p_build, p_framework);
        PERFORM ai_time_sessions_open(p_session, p_user, p_project, p_build);
        SELECT id INTO job_id FROM build_queue_insert(json_build_array(json_build_object('data', p_job_data))::text) AS id;
        -- pg-boss inserts nothing when the queue refuses the job (a singleton clash, say).
        IF job_id IS NULL THEN RAISE EXCEPTION 'the build job of % was not enqueued', p_build; END IF;
      END $$;

      -- src/previews: POST /v1/create-preview-for-new-project, in order. Answers
      -- {"answer": "replay", "status", "body"} | {"answer": "dedupe", "body"} |
      -- {"answer": "refused", "code", ...} | {"answer": "created", "body"}.
      CREATE FUNCTION create_project(
        p_user uuid, p_key text, p_fingerprint text, p_key_lifetime_hours integer, p_dedupe_window_ms integer,
        p_welcome_seconds integer, p_rate_limit_per_minute integer,
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

        v_answer := build_start_refusal(p_user, p_welcome_seconds, p_rate_limit_per_minute);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;

        IF NOT projects_insert(p_project, p_user, p_name, p_framework, p_id_source) THEN
          RETURN json_build_object('answer', 'refused', 'code', 'project_id_conflict');
        END IF;
        v_queued := queue_project_build(
          p_project, p_user, p_prompt, p_framework, true, p_build, p_version, p_session, p_job_data);
        v_body := json_build_object(
          'success', true, 'projectId', p_project, 'versionId', p_version, 'buildId', p_build,
          'buildMetricsId', v_queued.build_metrics_id, 'jobId', v_queued.job_id, 'aiTimeSessionId', p_session,
          'status', 'queued', 'idSource', p_id_source, 'createdBy', 'worker-service');

        PERFORM idempotency_keys_record(p_user, p_key, p_fingerprint, 201, v_body);
        IF p_key IS NULL THEN PERFORM recent_creates_record(p_user, p_fingerprint, p_dedupe_window_ms, v_body); END IF;
        RETURN json_build_object('answer', 'created', 'body', v_body);
      END $$;

      -- src/previews: POST /v1/update-project, in order; answers as create_project does. An update
      -- has no dedupe window: a repeat while its build is queued is 409 build_in_progress.
      CREATE FUNCTION update_project(
        p_user uuid, p_key text, p_fingerprint text, p_key_lifetime_hours integer,
        p_welcome_seconds integer, p_rate_limit_per_minute integer,
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

        v_answer := build_start_refusal(p_user, p_welcome_seconds, p_rate_limit_per_minute);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;

        BEGIN
          v_queued := queue_project_build(
            p_project, p_user, p_prompt, coalesce(p_framework, v_framework), false,
            p_build, p_version, p_session, p_job_data);
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
`;

export class BuildRequestFunctions1764633600000 implements MigrationInterface {
  name = 'BuildRequestFunctions1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- src/idempotency: the answer stored under the caller's key, as a build request's answer: a
      -- replay, or a refusal when the key was used for another request. Expired keys count as unused.
      CREATE FUNCTION idempotency_keys_find(p_owner uuid, p_key text, p_fingerprint text, p_lifetime_hours integer)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_stored record;
      BEGIN
        IF p_key IS NULL THEN RETURN NULL; END IF;
        SELECT request_hash, status, body INTO v_stored FROM idempotency_keys
         WHERE owner_id = p_owner AND key = p_key AND created_at > now() - make_interval(hours => p_lifetime_hours);
        IF NOT FOUND THEN RETURN NULL; END IF;
        IF v_stored.request_hash <> p_fingerprint THEN
          RETURN json_build_object('answer', 'refused', 'code', 'idempotency_key_reused');
        END IF;
        RETURN json_build_object('answer', 'replay', 'status', v_stored.status, 'body', v_stored.body);
      END $$;

      -- src/idempotency: remembers the answer under the key; an expired row for it is taken over.
      CREATE FUNCTION idempotency_keys_record(p_owner uuid, p_key text, p_fingerprint text, p_status integer, p_body json)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_key IS NULL THEN RETURN; END IF;
        INSERT INTO idempotency_keys (owner_id, key, request_hash, status, body)
        VALUES (p_owner, p_key, p_fingerprint, p_status, p_body)
        ON CONFLICT (owner_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, body = EXCLUDED.body, created_at = now();
      END $$;

      -- src/idempotency: the body of an identical create inside the dedupe window (0 turns it off).
      CREATE FUNCTION recent_creates_find(p_owner uuid, p_fingerprint text, p_window_ms integer)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_body json;
      BEGIN
        IF p_window_ms = 0 THEN RETURN NULL; END IF;
        SELECT body INTO v_body FROM recent_creates
         WHERE owner_id = p_owner AND request_hash = p_fingerprint
           AND created_at > now() - make_interval(secs => p_window_ms::float8 / 1000);
        RETURN v_body;
      END $$;

      CREATE FUNCTION recent_creates_record(p_owner uuid, p_fingerprint text, p_window_ms integer, p_body json)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_window_ms = 0 THEN RETURN; END IF;
        INSERT INTO recent_creates (owner_id, request_hash, body) VALUES (p_owner, p_fingerprint, p_body)
        ON CONFLICT (owner_id, request_hash) DO UPDATE SET body = EXCLUDED.body, created_at = now();
      END $$;

      -- src/billing: the user's balance, created with the welcome seconds (and its ledger row) the
      -- first time they are seen.
      CREATE FUNCTION ai_time_balances_ensure(
        p_user uuid, p_welcome_seconds integer, OUT seconds_remaining integer, OUT seconds_used integer)
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ai_time_balances AS balance (user_id, seconds_remaining) VALUES (p_user, p_welcome_seconds)
        ON CONFLICT (user_id) DO NOTHING
        RETURNING balance.seconds_remaining, balance.seconds_used INTO seconds_remaining, seconds_used;
        IF FOUND THEN
          INSERT INTO ai_time_ledger (user_id, kind, seconds, reason) VALUES (p_user, 'welcome', p_welcome_seconds, 'welcome');
          RETURN;
        END IF;
        SELECT balance.seconds_remaining, balance.seconds_used INTO seconds_remaining, seconds_used
          FROM ai_time_balances AS balance WHERE balance.user_id = p_user;
      END $$;

      -- src/rate-limits: counts one create or update in the user's fixed one-minute window (the
      -- layout rate-limiter-flexible used: key, points, expire in epoch ms); returns the ms until
      -- the window ends when the user is over the limit, else NULL. 0 turns the limit off.
      CREATE FUNCTION rate_limits_consume_user_write(p_user uuid, p_per_minute integer)
      RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        v_now bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        v_points integer;
        v_expire bigint;
      BEGIN
        IF p_per_minute = 0 THEN RETURN NULL; END IF;
        INSERT INTO rate_limits AS window_row (key, points, expire) VALUES ('user-writes:' || p_user, 1, v_now + 60000)
        ON CONFLICT (key) DO UPDATE SET
          points = CASE WHEN window_row.expire IS NULL OR window_row.expire <= v_now THEN 1 ELSE window_row.points + 1 END,
          expire = CASE WHEN window_row.expire IS NULL OR window_row.expire <= v_now THEN v_now + 60000 ELSE window_row.expire END
        RETURNING points, expire INTO v_points, v_expire;
        RETURN CASE WHEN v_points > p_per_minute THEN v_expire - v_now END;
      END $$;

      -- src/projects: a new project; false when the (legacy, caller-chosen) id is taken. ON CONFLICT
      -- also waits out a concurrent insert of the same id and then reports the conflict.
      CREATE FUNCTION projects_insert(p_project uuid, p_owner uuid, p_name text, p_framework text, p_id_source text)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES (p_project, p_owner, p_name, p_framework, p_id_source)
        ON CONFLICT DO NOTHING;
        RETURN FOUND;
      END $$;

      -- src/projects: points the project at the build just queued, and at its framework.
      CREATE FUNCTION projects_mark_build_queued(p_project uuid, p_build text, p_framework text)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE projects
           SET current_build_id = p_build, framework = p_framework, build_status = 'queued',
               last_build_started = now(), updated_at = now()
         WHERE id = p_project;
      END $$;

      -- src/builds: the build's row, queued; returns its row id (buildMetricsId).
      CREATE FUNCTION project_build_metrics_record_queued(
        p_build text, p_version text, p_project uuid, p_user uuid, p_initial boolean, p_framework text, p_prompt text)
      RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        v_id integer;
      BEGIN
        INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, status, framework, prompt)
        VALUES (p_build, p_version, p_project, p_user, p_initial, 'queued', p_framework, p_prompt)
        RETURNING id INTO v_id;
        RETURN v_id;
      END $$;

      ${BUILD_REQUEST_FUNCTIONS_V1}
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION update_project, create_project, queue_project_build, build_start_refusal,
        project_build_metrics_record_queued,
        projects_mark_build_queued, projects_insert, rate_limits_consume_user_write, ai_time_sessions_open,
        ai_time_balances_ensure, recent_creates_record, recent_creates_find, idempotency_keys_record,
        idempotency_keys_find;
    `);
  }
}
