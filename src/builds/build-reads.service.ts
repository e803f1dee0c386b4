import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { BuildStatus } from './build-metrics.entity';
import { BuildNotFoundError } from './build-not-found.error';
import { BuildResponse } from './dto/build.response';

/** Reads `project_build_metrics` (owned by this module) for the build's user; never writes. */
@Injectable()
export class BuildReadsService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The build, if this user owns it. `user_id` is the project's owner (only the owner can queue a
   * build); a foreign or unknown id is the same `build_not_found`.
   */
  async getOwned(userId: string, buildId: string): Promise<BuildResponse> {
    const [row] = await this.dataSource.query<BuildRow[]>(
      `SELECT build_id, project_id, version_id, status, is_initial_build, attempts, started_at, finished_at,
              duration_ms, error
         FROM project_build_metrics
        WHERE build_id = $1 AND user_id = $2`,
      [buildId, userId],
    );
    if (!row) throw new BuildNotFoundError(buildId);
    return {
      buildId: row.build_id,
      projectId: row.project_id,
      versionId: row.version_id,
      status: row.status,
      isInitialBuild: row.is_initial_build,
      attempts: row.attempts,
      // NULL columns become absent fields: `null` is not a value in this API.
      ...(row.started_at !== null && { startedAt: row.started_at.toISOString() }),
      ...(row.finished_at !== null && { finishedAt: row.finished_at.toISOString() }),
      ...(row.duration_ms !== null && { durationMs: row.duration_ms }),
      ...(row.error !== null && { error: row.error }),
    };
  }
}

interface BuildRow {
  build_id: string;
  project_id: string;
  version_id: string;
  status: BuildStatus;
  is_initial_build: boolean;
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
}
