import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BuildMetrics } from './build-metrics.entity';
import { BuildNotFoundError } from './build-not-found.error';
import { BuildResponse } from './dto/build.response';

/** Reads `project_build_metrics` (owned by this module) for the build's user; never writes. */
@Injectable()
export class BuildReadsService {
  constructor(@InjectRepository(BuildMetrics) private readonly builds: Repository<BuildMetrics>) {}

  /**
   * The build, if this user owns it. `user_id` is the project's owner (only the owner can queue a
   * build); a foreign or unknown id is the same `build_not_found`.
   */
  async getOwned(userId: string, buildId: string): Promise<BuildResponse> {
    const build = await this.builds.findOneBy({ buildId, userId });
    if (!build) throw new BuildNotFoundError(buildId);
    return {
      buildId: build.buildId,
      projectId: build.projectId,
      versionId: build.versionId,
      status: build.status,
      isInitialBuild: build.isInitialBuild,
      attempts: build.attempts,
      // NULL columns become absent fields: `null` is not a value in this API.
      ...(build.startedAt !== null && { startedAt: build.startedAt.toISOString() }),
      ...(build.finishedAt !== null && { finishedAt: build.finishedAt.toISOString() }),
      ...(build.durationMs !== null && { durationMs: build.durationMs }),
      ...(build.error !== null && { error: build.error }),
    };
  }
}
