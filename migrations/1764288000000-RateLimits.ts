import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-user rate-limit counters (src/rate-limits). The layout is exactly the one
 * rate-limiter-flexible's PostgreSQL store writes and would otherwise create itself at run time:
 * `key` is `<keyPrefix>:<userId>`, `points` the requests counted in the window, `expire` the
 * window's end in epoch milliseconds.
 */
export class RateLimits1764288000000 implements MigrationInterface {
  name = 'RateLimits1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rate_limits (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limits`);
  }
}
