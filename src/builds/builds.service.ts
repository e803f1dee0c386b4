import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newUlid } from '../ids/ids';
import { Framework } from '../projects/framework';
import { BuildMetrics } from './build-metrics.entity';

export interface NewBuild {
  projectId: string;
  userId: string;
  prompt: string;
  framework: Framework;
  isInitialBuild: boolean;
}

export interface QueuedBuild {
  buildMetricsId: number;
  buildId: string;
  /** The version this build creates if, and only if, it succeeds. */
  versionId: string;
}

/** Owns `project_build_metrics`: one row per build, from queued to its outcome. */
@Injectable()
export class BuildsService {
  /** Records a build as queued; enqueueing its job is BuildQueueService's part. */
  async recordQueued(manager: EntityManager, build: NewBuild): Promise<QueuedBuild> {
    const buildId = newUlid();
    const versionId = newUlid();
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(BuildMetrics)
      .values({ ...build, buildId, versionId, status: 'queued' })
      .updateEntity(false)
      .returning('id')
      .execute();
    const [{ id }] = inserted.raw as { id: number }[];
    return { buildMetricsId: id, buildId, versionId };
  }

  /** The build of the project that is queued or running, if any (there is at most one). */
  async findActive(manager: EntityManager, projectId: string): Promise<string | undefined> {
    const [active] = await manager.query<{ build_id: string }[]>(
      `SELECT build_id FROM project_build_metrics WHERE project_id = $1 AND status IN ('queued', 'running')`,
      [projectId],
    );
    return active?.build_id;
  }

  /**
   * Marks an attempt as started (status `running`, one more attempt) and returns the build with
   * the attempt's start on the database clock. Undefined when the build has already finished: a job
   * delivered again after its outcome was recorded has nothing left to do.
   */
  async startAttempt(
    manager: EntityManager,
    buildId: string,
  ): Promise<{ build: BuildMetrics; attemptStartedAt: Date } | undefined> {
    const [rows] = await manager.query<[(BuildMetricsRow & { attempt_started_at: Date })[], number]>(
      `UPDATE project_build_metrics
          SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), error = NULL
        WHERE build_id = $1 AND status IN ('queued', 'running')
        RETURNING *, clock_timestamp() AS attempt_started_at`,
      [buildId],
    );
    return rows[0] && { build: toBuildMetrics(rows[0]), attemptStartedAt: rows[0].attempt_started_at };
  }

  /** Adds a failed attempt's running time to the build's duration (the time a build is billed for). */
  async recordAttemptTime(manager: EntityManager, buildId: string, attemptStartedAt: Date): Promise<void> {
    await manager.query(
      `UPDATE project_build_metrics SET duration_ms = ${DURATION_WITH_ATTEMPT}
        WHERE build_id = $1 AND status = 'running'`,
      [buildId, attemptStartedAt],
    );
  }

  /**
   * Records the outcome once, adding the last attempt's running time to the duration, and returns
   * the duration: the sum of the attempts' running times. Undefined when it was already recorded.
   */
  async finish(
    manager: EntityManager,
    buildId: string,
    attemptStartedAt: Date,
    outcome: { status: 'succeeded' } | { status: 'failed'; error: string },
  ): Promise<{ durationMs: number } | undefined> {
    const [rows] = await manager.query<[{ duration_ms: number }[], number]>(
      `UPDATE project_build_metrics
          SET status = $3, error = $4, finished_at = now(), duration_ms = ${DURATION_WITH_ATTEMPT}
        WHERE build_id = $1 AND status IN ('queued', 'running')
        RETURNING duration_ms`,
      [buildId, attemptStartedAt, outcome.status, outcome.status === 'failed' ? outcome.error : null],
    );
    return rows[0] && { durationMs: rows[0].duration_ms };
  }
}

/** The duration so far plus the running time of the attempt that started at $2 (database clock). */
const DURATION_WITH_ATTEMPT =
  'coalesce(duration_ms, 0) + greatest(0, (extract(epoch FROM clock_timestamp() - $2::timestamptz) * 1000)::int)';

interface BuildMetricsRow {
  id: number;
  build_id: string;
  version_id: string;
  project_id: string;
  user_id: string;
  is_initial_build: boolean;
  status: BuildMetrics['status'];
  attempts: number;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  framework: BuildMetrics['framework'];
  prompt: string;
  created_at: Date;
}

function toBuildMetrics(row: BuildMetricsRow): BuildMetrics {
  return Object.assign(new BuildMetrics(), {
    id: row.id,
    buildId: row.build_id,
    versionId: row.version_id,
    projectId: row.project_id,
    userId: row.user_id,
    isInitialBuild: row.is_initial_build,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    framework: row.framework,
    prompt: row.prompt,
    createdAt: row.created_at,
  });
}
