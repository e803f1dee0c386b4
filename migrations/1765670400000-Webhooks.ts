import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks (ADR 040), owned by the webhooks module. `webhook_events` is the outbox: one
 * row per event, written in the transaction that records what it tells, its body fixed then so
 * every attempt sends the same bytes under the same `webhook-id`. `webhook_deliveries` holds one row
 * per event and endpoint, written in that same transaction: its state, when it is next due, and
 * the last answer; deliveries to one endpoint go out in order of `seq` per `ordering_key` (the
 * project, or the user for an event of no project). `seq` is the database's own count, taken as
 * the row is written under the user's lock, so it follows the order the events committed in
 * whichever process recorded them (a ULID would follow that process's clock). `webhook_delivery_attempts` keeps every
 * attempt and its answer. `webhook_endpoints` remembers the endpoints a 410 turned off.
 */
export class Webhooks1765670400000 implements MigrationInterface {
  name = 'Webhooks1765670400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_events (
        event_id   ulid PRIMARY KEY,
        type       text NOT NULL
                   CHECK (type IN ('build.succeeded', 'build.failed', 'build.canceled', 'project.deleted', 'ai_time.low')),
        user_id    uuid NOT NULL,
        project_id uuid,
        body       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_events_created_at_idx ON webhook_events USING brin (created_at);

      CREATE TABLE webhook_deliveries (
        delivery_id      ulid PRIMARY KEY,
        seq              bigserial NOT NULL,
        event_id         ulid NOT NULL REFERENCES webhook_events (event_id) ON DELETE CASCADE,
        endpoint_url     text NOT NULL,
        ordering_key     text NOT NULL,
        status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        last_attempt_at  timestamptz,
        last_status_code integer,
        last_error       text,
        delivered_at     timestamptz,
        CONSTRAINT webhook_deliveries_event_endpoint_key UNIQUE (event_id, endpoint_url)
      );
      -- What is due, and what goes before it: the pending deliveries by endpoint and key, oldest first.
      CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_url, ordering_key, seq)
        WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

      CREATE TABLE webhook_delivery_attempts (
        delivery_id  ulid NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
        attempt      integer NOT NULL CHECK (attempt > 0),
        attempted_at timestamptz NOT NULL,
        duration_ms  integer NOT NULL CHECK (duration_ms >= 0),
        status_code  integer,
        error        text,
        PRIMARY KEY (delivery_id, attempt)
      );

      CREATE TABLE webhook_endpoints (
        url             text PRIMARY KEY,
        disabled_at     timestamptz NOT NULL DEFAULT now(),
        disabled_reason text NOT NULL
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE webhook_endpoints;
      DROP TABLE webhook_delivery_attempts;
      DROP TABLE webhook_deliveries;
      DROP TABLE webhook_events;
    `);
  }
}
