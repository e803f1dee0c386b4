import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { BuildQueueService } from '../builds/build-queue.service';
import { BuildsService, NewBuild } from '../builds/builds.service';
import { addLogFields } from '../logging/log-fields';
import { CREATED_BY_SERVICE } from '../projects/project.entity';
import { ProjectsService } from '../projects/projects.service';
import { annotateRequest } from '../telemetry/spans';
import { QueuedBuildResponse } from './dto/queued-build.response';

/**
 * Queues a build of a project inside the caller's transaction, the part create-preview and
 * update-project share: the build row, the project pointed at it (and switched to its framework),
 * its AI-time session and its job. Its ids go on the request's span and on every later log line of
 * the request, so operators can find the request, its trace and its logs from any of them.
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
    addLogFields({ project_id: projectId, build_id: queued.buildId, user_id: userId });
    annotateRequest({
      project_id: projectId,
      version_id: queued.versionId,
      build_id: queued.buildId,
      user_id: userId,
      created_by: CREATED_BY_SERVICE,
      build_metrics_id: queued.buildMetricsId,
      ai_time_session: aiTimeSessionId,
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
