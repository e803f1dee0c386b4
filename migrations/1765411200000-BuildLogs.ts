import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A build's log (ADR 037), owned by the build-logs module: `build_logs` holds one row per build
 * with its running totals, `build_log_lines` the lines kept. Both go with the build (a foreign key
 * with ON DELETE CASCADE), and the lines with their `build_logs` row, so removing a build's log is
 * one delete. `build_log_append` stores one batch of a worker's lines in one round trip: it numbers
 * them, trims the oldest lines while the log is over its bound (reading only the lines it drops),
 * keeps one marker line in their place that says how many were dropped, and notifies `build_log`
 * with the build id on commit.
 */
export class BuildLogs1765411200000 implements MigrationInterface {
  name = 'BuildLogs1765411200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE build_logs (
        build_id      ulid PRIMARY KEY REFERENCES project_build_metrics (build_id) ON DELETE CASCADE,
        last_seq      bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
        stored_bytes  bigint NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0),
        dropped_lines bigint NOT NULL DEFAULT 0 CHECK (dropped_lines >= 0),
        marker_seq    bigint
      );
      CREATE TABLE build_log_lines (
        build_id ulid NOT NULL REFERENCES build_logs (build_id) ON DELETE CASCADE,
        seq      bigint NOT NULL CHECK (seq > 0),
        attempt  integer NOT NULL CHECK (attempt > 0),
        at       timestamptz NOT NULL,
        stream   text NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
        line     text NOT NULL,
        PRIMARY KEY (build_id, seq)
      );

      -- Each line counts its UTF-8 bytes plus 32 (what its row costs besides), so a log of empty
      -- lines is bounded in rows too. The worker sends a batch of at most p_max_bytes - 256, so
      -- dropping older lines always makes room, and 256 bytes are left for the marker line.
      CREATE FUNCTION build_log_append(
        p_build_id text, p_attempt integer, p_max_bytes bigint, p_dropped integer,
        p_at timestamptz[], p_stream text[], p_line text[]
      ) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_log build_logs;
        v_first bigint;
        v_cut bigint;
        v_gone_lines bigint;
        v_gone_bytes bigint;
        v_marker text;
      BEGIN
        INSERT INTO build_logs (build_id)
          SELECT p_build_id WHERE EXISTS (SELECT 1 FROM project_build_metrics WHERE build_id = p_build_id)
          ON CONFLICT (build_id) DO NOTHING;
        SELECT * INTO v_log FROM build_logs WHERE build_id = p_build_id FOR UPDATE;
        -- The build is gone (its project deleted): its lines have nowhere to go.
        IF NOT FOUND THEN RETURN; END IF;

        -- Lines the worker dropped before sending take the numbers before the batch's.
        v_first := v_log.last_seq + p_dropped + 1;
        INSERT INTO build_log_lines (build_id, seq, attempt, at, stream, line)
          SELECT p_build_id, v_first + l.n - 1, p_attempt, l.at, l.stream, l.line
            FROM unnest(p_at, p_stream, p_line) WITH ORDINALITY AS l (at, stream, line, n);
        v_log.last_seq := v_first + coalesce(cardinality(p_line), 0) - 1;
        v_log.stored_bytes := v_log.stored_bytes
          + coalesce((SELECT sum(octet_length(line) + 32) FROM unnest(p_line) AS line), 0);

        IF v_log.stored_bytes > p_max_bytes THEN
          -- The oldest lines whose bytes cover the excess, read oldest first and no further.
          SELECT seq INTO v_cut FROM (
            SELECT seq, sum(octet_length(line) + 32) OVER (ORDER BY seq) AS running
              FROM build_log_lines WHERE build_id = p_build_id
          ) oldest
          WHERE running >= v_log.stored_bytes - (p_max_bytes - 256)
          ORDER BY seq LIMIT 1;
        END IF;
        -- Dropped before sending means every older line goes too: the log keeps its newest lines.
        IF p_dropped > 0 THEN v_cut := greatest(v_cut, v_first - 1); END IF;
        IF v_cut IS NOT NULL THEN
          WITH gone AS (
            DELETE FROM build_log_lines WHERE build_id = p_build_id AND seq <= v_cut
            RETURNING seq, octet_length(line) + 32 AS bytes
          )
          SELECT count(*) FILTER (WHERE seq IS DISTINCT FROM v_log.marker_seq), coalesce(sum(bytes), 0)
            INTO v_gone_lines, v_gone_bytes FROM gone;
          v_log.dropped_lines := v_log.dropped_lines + v_gone_lines + p_dropped;
          v_marker := format('[%s earlier lines dropped: a build keeps the newest %s bytes of its log]',
                             v_log.dropped_lines, p_max_bytes);
          -- The marker takes the number of the newest line dropped, so it reads in its place.
          INSERT INTO build_log_lines (build_id, seq, attempt, at, stream, line)
            VALUES (p_build_id, v_cut, p_attempt, now(), 'system', v_marker);
          v_log.stored_bytes := v_log.stored_bytes - v_gone_bytes + octet_length(v_marker) + 32;
          v_log.marker_seq := v_cut;
        END IF;

        UPDATE build_logs
           SET last_seq = v_log.last_seq, stored_bytes = v_log.stored_bytes,
               dropped_lines = v_log.dropped_lines, marker_seq = v_log.marker_seq
         WHERE build_id = p_build_id;
        PERFORM pg_notify('build_log', p_build_id);
      END
      $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION build_log_append(text, integer, bigint, integer, timestamptz[], text[], text[]);
      DROP TABLE build_log_lines;
      DROP TABLE build_logs;
    `);
  }
}
