import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../builds/build-queue.service';
import { BuildsService, NewBuild } from '../builds/builds.service';
import { ProjectsService } from '../projects/projects.service';
import { QueuedBuildResponse } from './dto/queued-build.response';

/**
 * Queues a build of a project inside the caller's transaction, the part create-preview and
 * update-project share: the build row, the project pointed at it (and switched to its framework),
 * its AI-time session and its job.
 */
@Injectable()
export class BuildStarter {
  constructor(
    private readonly projects: ProjectsService,
    private readonly builds: BuildsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly buildQueue: BuildQueueService,
  ) {}

  async start(manager: EntityManager, build: NewBuild): Promise<QueuedBuildResponse> {
    const { projectId, userId, framework } = build;
    const queued = await this.builds.recordQueued(manager, build);
    await this.projects.markBuildQueued(manager, projectId, { buildId: queued.buildId, framework });
    const aiTimeSessionId = await this.sessions.open(manager, { userId, projectId, buildId: queued.buildId });
    const jobId = await this.buildQueue.enqueue(manager, {
      buildId: queued.buildId,
      projectId,
      userId,
      versionId: queued.versionId,
    });
    return {
      success: true,
      projectId,
      versionId: queued.versionId,
      buildId: queued.buildId,
      buildMetricsId: queued.buildMetricsId,
      jobId,
      aiTimeSessionId,
      status: 'queued',
    };
  }
}
