import { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_PROJECT_V2 } from './1764892800000-AiTimeReservations';

/**
 * A create spends its request's signature in its own statement (ADR 031), so the spend costs no
 * round trip of its own and a refused create gives it back by rolling back. The rule for a repeat
 * (ADR 030) moves into `spent_signatures_spend`, which SignatureGuard calls for every other write.
 */
export class SignatureSpentByCreate1765065600000 implements MigrationInterface {
  name = 'SignatureSpentByCreate1765065600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      -- src/http: spends a signed write's signature. 'first' for its first use; 'repeat' for a repeat
      -- the write may answer from what its first use stored: under the Idempotency-Key the signature
      -- was first used with (where p_answers_keyed), or, without a key, after a keyless first use
      -- less than p_keyless_window_ms ago (a window of 0 answers none); 'replayed' for any other
      -- repeat. Every use that commits is counted.
      CREATE FUNCTION spent_signatures_spend(
        p_signature bytea, p_key text, p_expires_at timestamptz, p_answers_keyed boolean, p_keyless_window_ms integer)
      RETURNS text LANGUAGE plpgsql AS $$
      DECLARE
        v_first record;
      BEGIN
        INSERT INTO spent_signatures AS spent (signature, idempotency_key, expires_at)
        VALUES (p_signature, p_key, p_expires_at)
        ON CONFLICT (signature) DO UPDATE SET uses = spent.uses + 1
        RETURNING spent.uses, spent.idempotency_key, spent.spent_at INTO v_first;
        IF v_first.uses = 1 THEN RETURN 'first'; END IF;
        IF p_key IS NOT NULL THEN
          RETURN CASE WHEN p_answers_keyed AND v_first.idempotency_key = p_key THEN 'repeat' ELSE 'replayed' END;
        END IF;
        RETURN CASE
          WHEN p_keyless_window_ms > 0 AND v_first.idempotency_key IS NULL
           AND statement_timestamp() - v_first.spent_at < make_interval(secs => p_keyless_window_ms / 1000.0)
          THEN 'repeat' ELSE 'replayed' END;
      END $$;

      DROP FUNCTION create_project;
      -- src/previews: POST /v1/create-preview-for-new-project, in order. Answers
      -- {"answer": "replay", "status", "body"} | {"answer": "dedupe", "body"} |
      -- {"answer": "refused", "code", ...} | {"answer": "created", "body"}. p_signature is the
      -- request's signature (NULL when requests are not signed), spent first. A repeat of a spent
      -- signature is answered only from what its first use stored (the key's answer, the dedupe
      -- record); once that is gone it would act a second time, so it is refused as a replay.
      CREATE FUNCTION create_project(
        p_user uuid, p_key text, p_fingerprint text, p_key_lifetime_hours integer, p_dedupe_window_ms integer,
        p_welcome_seconds integer, p_rate_limit_per_minute integer, p_reserve_seconds integer,
        p_project uuid, p_id_source text, p_name text, p_framework text, p_prompt text,
        p_build text, p_version text, p_session text, p_job_data json,
        p_signature bytea, p_signature_expires_at double precision)
      RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        v_spend text := 'first';
        v_answer json;
        v_queued record;
        v_body json;
      BEGIN
        IF p_signature IS NOT NULL THEN
          v_spend := spent_signatures_spend(
            p_signature, p_key, to_timestamp(p_signature_expires_at), true, p_dedupe_window_ms);
        END IF;
        IF v_spend = 'replayed' THEN RETURN json_build_object('answer', 'refused', 'code', 'signature_replayed'); END IF;

        v_answer := idempotency_keys_find(p_user, p_key, p_fingerprint, p_key_lifetime_hours);
        IF v_answer IS NOT NULL THEN RETURN v_answer; END IF;
        IF p_key IS NULL THEN
          v_body := recent_creates_find(p_user, p_fingerprint, p_dedupe_window_ms);
          IF v_body IS NOT NULL THEN RETURN json_build_object('answer', 'dedupe', 'body', v_body); END IF;
        END IF;
        IF v_spend = 'repeat' THEN RETURN json_build_object('answer', 'refused', 'code', 'signature_replayed'); END IF;

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
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION create_project, spent_signatures_spend;
      ${CREATE_PROJECT_V2}
    `);
  }
}
