import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-use request signatures (src/http/spent-signatures.service.ts, ADR 030): each signed write's
 * MAC, the Idempotency-Key it came with, and when its timestamp leaves the window in which it
 * could verify, after which it is swept. Rows are written in timestamp order, so a BRIN index
 * serves the sweep at almost no cost to the insert.
 */
export class SpentSignatures1764979200000 implements MigrationInterface {
  name = 'SpentSignatures1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE spent_signatures (
        signature       bytea PRIMARY KEY CHECK (octet_length(signature) = 32),
        idempotency_key text CHECK (idempotency_key ~ '^[\\x20-\\x7E]{1,255}$'),
        uses            integer NOT NULL DEFAULT 1 CHECK (uses > 0),
        spent_at        timestamptz NOT NULL DEFAULT now(),
        expires_at      timestamptz NOT NULL
      );
      CREATE INDEX spent_signatures_expires_at_idx ON spent_signatures USING brin (expires_at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spent_signatures`);
  }
}
