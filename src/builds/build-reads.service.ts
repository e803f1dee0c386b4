import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsSelect, Repository } from 'typeorm';
import { QueuePositionsService } from '../build-queue/queue-positions.service';
import { BuildMetrics } from './build-metrics.entity';
import { BuildNotFoundError } from './build-not-found.error';
import { BuildResponse } from './dto/build.response';

const ANSWERED: FindOptionsSelect<BuildMetrics> = {
  buildId: true,
  projectId: true,
  versionId: true,
  status: true,
  isInitialBuild: true,
  attempts: true,
  startedAt: true,
  finishedAt: true,
  durationMs: true,
  error: true,
};

/**
 * Reads `project_build_metrics` (owned by this module) for the build's user, and a queued build's
 * place in line from the build queue; never writes.
 */
@Injectable()
export class BuildReadsService {
  constructor(
    @InjectRepository(BuildMetrics) private readonly builds: Repository<BuildMetrics>,
    private readonly positions: QueuePositionsService,
  ) {}

  /**
   * The build, if this user owns it. `user_id` is the project's owner (only the owner can queue a
   * build); a foreign or unknown id is the same `build_not_found`. Read in `manager`'s transaction
   * when given, so a write answers with what it wrote.
   */
  async getOwned(
    userId: string,
    buildId: string,
    manager: EntityManager = this.builds.manager,
  ): Promise<BuildResponse> {
    const build = await this.findOwned(userId, buildId, manager);
    // Only a queued build is in line: a running or finished one costs no second query.
    const queuePosition = build.status === 'queued' ? await this.positions.positionOf(manager, buildId) : undefined;
    return {
      buildId: build.buildId,
      projectId: build.projectId,
      versionId: build.versionId,
      status: build.status,
      isInitialBuild: build.isInitialBuild,
      attempts: build.attempts,
      ...(queuePosition !== undefined && { queuePosition }),
      // NULL columns become absent fields: `null` is not a value in this API.
      ...(build.startedAt !== null && { startedAt: build.startedAt.toISOString() }),
      ...(build.finishedAt !== null && { finishedAt: build.finishedAt.toISOString() }),
      ...(build.durationMs !== null && { durationMs: build.durationMs }),
      ...(build.error !== null && { error: build.error }),
    };
  }

  /** The build's row as getOwned answers it, without its place in line (a second query for a queued build). */
  async findOwned(userId: string, buildId: string, manager: EntityManager): Promise<BuildMetrics> {
    // Not the prompt (up to 20,000 characters): the event stream reads a build at every change.
    const build = await manager.getRepository(BuildMetrics).findOne({ select: ANSWERED, where: { buildId, userId } });
    if (!build) throw new BuildNotFoundError(buildId);
    return build;
  }
}
