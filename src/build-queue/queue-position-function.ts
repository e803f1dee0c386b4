/**
 * Defines `build_queue_position(build text, builds_per_user integer)`, where a waiting build stands
 * in line (ADR 038), on the queue's job table. The jobs waiting in the build queue (`created` or
 * `retry`) are taken in the order pg-boss fetches them (priority, then age); a job's round is how
 * many times its user's builds must finish before it may start: with `a` of the user's jobs claimed
 * and the job the user's `r`-th waiting one, round = ⌊(a + r − 1) / limit⌋. Round 0 may start as
 * soon as a worker is free. The line is by round, then fetch order, so a build that waits for its own
 * user's builds is never ahead of another user's build that could start now. A PL/pgSQL function, so
 * each connection plans it once.
 */
export function queuePositionFunction(schema: string, table: string, queue: string): string {
  return `
    CREATE OR REPLACE FUNCTION build_queue_position(p_build text, p_builds_per_user integer)
    RETURNS integer LANGUAGE plpgsql STABLE AS $position$
    BEGIN
      RETURN (
        WITH claimed AS MATERIALIZED (
          SELECT group_id, count(*)::int AS jobs FROM ${schema}.${table}
           WHERE name = '${queue}' AND state = 'active' AND group_id IS NOT NULL
           GROUP BY group_id
        ), waiting AS (
          SELECT job.data->>'buildId' AS build_id, job.priority, job.created_on, job.id,
                 CASE WHEN job.group_id IS NULL THEN 0
                      ELSE (coalesce(claimed.jobs, 0) - 1 + row_number() OVER (
                              PARTITION BY job.group_id ORDER BY job.priority DESC, job.created_on, job.id)) / p_builds_per_user
                 END AS round
            FROM ${schema}.${table} AS job LEFT JOIN claimed USING (group_id)
           WHERE job.name = '${queue}' AND job.state < 'active' AND NOT job.blocked
        ), line AS (
          SELECT build_id, row_number() OVER (ORDER BY round, priority DESC, created_on, id)::int AS position
            FROM waiting
        )
        SELECT position FROM line WHERE build_id = p_build);
    END $position$;`;
}
