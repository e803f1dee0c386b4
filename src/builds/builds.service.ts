import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { entityFromRow } from '../database/entity-rows';
import { BuildMetrics } from './build-metrics.entity';

/**
 * Owns `project_build_metrics`: one row per build, from queued to its outcome. A build is recorded as
 * queued by the create and update database functions (`project_build_metrics_record_queued`;
 * migration BuildRequestFunctions).
 */
@Injectable()
export class BuildsService {
  /**
   * Marks an attempt as started (status `running`, one more attempt, its start on the database
   * clock) and returns the build; `build.attempts` numbers this attempt and fences everything it
   * records later. Undefined when the build has already finished: a job delivered again after its
   * outcome was recorded has nothing left to do. An earlier attempt whose worker died without
   * reporting is replaced, and its time is not billed.
   */
  async startAttempt(manager: EntityManager, buildId: string): Promise<BuildMetrics | undefined> {
    const [rows] = await manager.query<[Record<string, unknown>[], number]>(
      `UPDATE project_build_metrics
          SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
              attempt_started_at = clock_timestamp(), error = NULL
        WHERE build_id = $1 AND status IN ('queued', 'running')
        RETURNING *`,
      [buildId],
    );
    return rows[0] && entityFromRow(manager.getRepository(BuildMetrics), rows[0]);
  }

  /** Whether `attempt` is still the build's attempt in progress: not finished, deleted or superseded. */
  async isAttemptCurrent(manager: EntityManager, buildId: string, attempt: number): Promise<boolean> {
    return manager.getRepository(BuildMetrics).existsBy({ buildId, status: 'running', attempts: attempt });
  }

  /**
   * Adds a failed attempt's running time to the build's duration (the time a build is billed for);
   * the build stays `running` while it waits for its next attempt. False when the attempt is no
   * longer current.
   */
  async recordAttemptTime(manager: EntityManager, buildId: string, attempt: number): Promise<boolean> {
    const [, updated] = await manager.query<[unknown[], number]>(
      `UPDATE project_build_metrics SET duration_ms = ${TIME_USED}, attempt_started_at = NULL
        WHERE ${CURRENT_ATTEMPT}`,
      [buildId, attempt],
    );
    return updated > 0;
  }

  /**
   * Records the outcome of the build's current attempt once, adding its running time, and returns
   * the duration: the sum of the attempts' running times. Undefined when the attempt is no longer
   * current (the outcome was recorded, the project deleted, or a later attempt took over).
   */
  async finishAttempt(
    manager: EntityManager,
    buildId: string,
    attempt: number,
    outcome: { status: 'succeeded' } | { status: 'failed'; error: string },
  ): Promise<{ durationMs: number } | undefined> {
    const [rows] = await manager.query<[{ duration_ms: number }[], number]>(
      `UPDATE project_build_metrics
          SET status = $3, error = $4, finished_at = now(), duration_ms = ${TIME_USED}, attempt_started_at = NULL
        WHERE ${CURRENT_ATTEMPT}
        RETURNING duration_ms`,
      [buildId, attempt, outcome.status, outcome.status === 'failed' ? outcome.error : null],
    );
    return rows[0] && { durationMs: rows[0].duration_ms };
  }

  /**
   * Fails a build whose job the queue gave up on without an outcome (its worker died or shut down on
   * the last attempt). Only the attempts that reported their time are counted. Undefined when the
   * build has already finished or is gone.
   */
  async failAbandoned(
    manager: EntityManager,
    buildId: string,
    error: string,
  ): Promise<{ durationMs: number } | undefined> {
    const [rows] = await manager.query<[{ duration_ms: number }[], number]>(
      `UPDATE project_build_metrics
          SET status = 'failed', error = $2, finished_at = now(), duration_ms = coalesce(duration_ms, 0),
              attempt_started_at = NULL
        WHERE build_id = $1 AND status IN ('queued', 'running')
        RETURNING duration_ms`,
      [buildId, error],
    );
    return rows[0] && { durationMs: rows[0].duration_ms };
  }

  /**
   * Cancels a build that has not finished: `canceled`, finished now, its duration the time its
   * attempts ran (the one in progress up to now). Fenced like every outcome to a build still queued
   * or running, so a cancel and the worker's outcome have one winner. Undefined when the build has
   * already finished or is gone.
   */
  async cancel(manager: EntityManager, buildId: string): Promise<{ durationMs: number; attempts: number } | undefined> {
    const [rows] = await manager.query<[{ duration_ms: number; attempts: number }[], number]>(
      `UPDATE project_build_metrics
          SET status = 'canceled', finished_at = now(), duration_ms = ${TIME_USED}, attempt_started_at = NULL
        WHERE build_id = $1 AND status IN ('queued', 'running')
        RETURNING duration_ms, attempts`,
      [buildId],
    );
    return rows[0] && { durationMs: rows[0].duration_ms, attempts: rows[0].attempts };
  }

  /**
   * The project's unfinished builds that have run (an attempt started), with the time they used so
   * far: what a delete bills before the builds' rows go.
   */
  async usageOfUnfinished(manager: EntityManager, projectId: string): Promise<{ buildId: string; usedMs: number }[]> {
    const rows = await manager.query<{ build_id: string; used_ms: number }[]>(
      `SELECT build_id, ${TIME_USED} AS used_ms FROM project_build_metrics
        WHERE project_id = $1 AND status IN ('queued', 'running') AND attempts > 0`,
      [projectId],
    );
    return rows.map((row) => ({ buildId: row.build_id, usedMs: row.used_ms }));
  }
}

/**
 * Binds $1 to the build id and $2 to the attempt number that must still be in progress (as
 * isAttemptCurrent asks the repository).
 */
const CURRENT_ATTEMPT = `build_id = $1 AND status = 'running' AND attempts = $2`;

/** The attempts' recorded running time plus the running time of the attempt in progress, if any. */
const TIME_USED = `coalesce(duration_ms, 0)
  + coalesce(greatest(0, (extract(epoch FROM clock_timestamp() - attempt_started_at) * 1000)::int), 0)`;
