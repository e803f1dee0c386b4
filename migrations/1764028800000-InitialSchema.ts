import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Projects, their builds and versions, AI-time billing and idempotency records. Ids a caller sees
 * are UUIDs (users, projects) or ULIDs (builds, versions, sessions): ULIDs are stored as text and
 * checked against Crockford base32, so they sort by creation time.
 */
export class InitialSchema1764028800000 implements MigrationInterface {
  name = 'InitialSchema1764028800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE DOMAIN ulid AS text CHECK (VALUE ~ '^[0-9A-HJKMNP-TV-Z]{26}$');
      CREATE DOMAIN framework AS text
        CHECK (VALUE IN ('react', 'nextjs', 'vue', 'svelte', 'angular', 'astro'));

      CREATE TABLE projects (
        id                 uuid PRIMARY KEY,
        owner_id           uuid NOT NULL,
        name               text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
        framework          framework NOT NULL,
        created_by_service text NOT NULL DEFAULT 'worker-service',
        id_source          text NOT NULL CHECK (id_source IN ('server', 'client')),
        build_status       text NOT NULL DEFAULT 'queued'
                           CHECK (build_status IN ('queued', 'building', 'ready', 'failed')),
        current_build_id   ulid,
        current_version_id ulid,
        last_build_started timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX projects_owner_newest_idx ON projects (owner_id, created_at DESC, id DESC);

      CREATE TABLE project_build_metrics (
        id               serial PRIMARY KEY,
        build_id         ulid NOT NULL UNIQUE,
        version_id       ulid NOT NULL UNIQUE,
        project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        user_id          uuid NOT NULL,
        is_initial_build boolean NOT NULL,
        status           text NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        error            text,
        started_at       timestamptz,
        finished_at      timestamptz,
        duration_ms      integer CHECK (duration_ms >= 0),
        framework        framework NOT NULL,
        prompt           text NOT NULL CHECK (char_length(prompt) BETWEEN 1 AND 20000),
        created_at       timestamptz NOT NULL DEFAULT now(),
        CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
      );
      CREATE INDEX project_build_metrics_project_idx ON project_build_metrics (project_id, build_id DESC);
      -- At most one build queued or running per project (update-project's 409 build_in_progress).
      CREATE UNIQUE INDEX project_build_metrics_one_active_idx
        ON project_build_metrics (project_id) WHERE status IN ('queued', 'running');

      CREATE TABLE project_versions (
        id            serial PRIMARY KEY,
        version_id    ulid NOT NULL UNIQUE,
        build_id      ulid NOT NULL UNIQUE REFERENCES project_build_metrics (build_id) ON DELETE CASCADE,
        project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        user_id       uuid NOT NULL,
        prompt        text NOT NULL,
        framework     framework NOT NULL,
        artifact_path text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX project_versions_project_idx ON project_versions (project_id, version_id DESC);

      ALTER TABLE projects
        ADD CONSTRAINT projects_current_build_fk FOREIGN KEY (current_build_id)
          REFERENCES project_build_metrics (build_id) ON DELETE SET NULL,
        ADD CONSTRAINT projects_current_version_fk FOREIGN KEY (current_version_id)
          REFERENCES project_versions (version_id) ON DELETE SET NULL;

      CREATE TABLE ai_time_balances (
        user_id           uuid PRIMARY KEY,
        seconds_remaining integer NOT NULL,
        seconds_used      integer NOT NULL DEFAULT 0 CHECK (seconds_used >= 0),
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE ai_time_sessions (
        id           ulid PRIMARY KEY,
        user_id      uuid NOT NULL REFERENCES ai_time_balances (user_id),
        project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        build_id     ulid NOT NULL UNIQUE REFERENCES project_build_metrics (build_id) ON DELETE CASCADE,
        status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
        seconds_used integer CHECK (seconds_used >= 0),
        opened_at    timestamptz NOT NULL DEFAULT now(),
        closed_at    timestamptz,
        CHECK ((status = 'closed') = (closed_at IS NOT NULL))
      );
      CREATE INDEX ai_time_sessions_active_idx ON ai_time_sessions (opened_at) WHERE status = 'active';
      CREATE INDEX ai_time_sessions_project_idx ON ai_time_sessions (project_id);

      -- Every change of a balance, signed. A build is debited at most once (unique build_id).
      CREATE TABLE ai_time_ledger (
        id         bigserial PRIMARY KEY,
        user_id    uuid NOT NULL REFERENCES ai_time_balances (user_id),
        kind       text NOT NULL CHECK (kind IN ('welcome', 'grant', 'debit')),
        seconds    integer NOT NULL,
        build_id   ulid UNIQUE,
        reason     text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'debit') = (build_id IS NOT NULL)),
        CHECK (CASE kind WHEN 'debit' THEN seconds <= 0 WHEN 'grant' THEN seconds > 0 ELSE seconds >= 0 END)
      );
      CREATE INDEX ai_time_ledger_user_idx ON ai_time_ledger (user_id, id);

      CREATE TABLE idempotency_keys (
        owner_id     uuid NOT NULL,
        key          text NOT NULL CHECK (key ~ '^[\\x20-\\x7E]{1,255}$'),
        request_hash text NOT NULL,
        status       integer,
        body         jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, key)
      );
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE idempotency_keys, ai_time_ledger, ai_time_sessions, ai_time_balances;
      ALTER TABLE projects DROP CONSTRAINT projects_current_build_fk, DROP CONSTRAINT projects_current_version_fk;
      DROP TABLE project_versions, project_build_metrics, projects;
      DROP DOMAIN framework, ulid;
    `);
  }
}
