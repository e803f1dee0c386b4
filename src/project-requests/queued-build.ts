import { newUlid } from '../ids/ids';
import { addLogFields } from '../logging/log-fields';
import { CREATED_BY_SERVICE } from '../projects/project.entity';
import { annotateRequest } from '../telemetry/spans';
import { QueuedBuildResponse } from './dto/queued-build.response';

/** The ids of a build a request queues, chosen by the server before its transaction starts. */
export interface QueuedBuildIds {
  buildId: string;
  /** The version the build creates if, and only if, it succeeds. */
  versionId: string;
  aiTimeSessionId: string;
}

export function newQueuedBuildIds(): QueuedBuildIds {
  return { buildId: newUlid(), versionId: newUlid(), aiTimeSessionId: newUlid() };
}

/**
 * Puts the ids of a queued build on the request's span and on every later log line of the request,
 * so operators can find the request, its trace and its logs from any of them.
 */
export function annotateQueuedBuild(userId: string, queued: QueuedBuildResponse): void {
  addLogFields({ project_id: queued.projectId, build_id: queued.buildId, user_id: userId });
  annotateRequest({
    project_id: queued.projectId,
    version_id: queued.versionId,
    build_id: queued.buildId,
    user_id: userId,
    created_by: CREATED_BY_SERVICE,
    build_metrics_id: queued.buildMetricsId,
    ai_time_session: queued.aiTimeSessionId,
  });
}
