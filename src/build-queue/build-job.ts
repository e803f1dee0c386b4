import { context, propagation } from '@opentelemetry/api';

/** The build queue's name in pg-boss. */
export const BUILD_QUEUE = 'project-build';

/**
 * Where pg-boss moves a build job it gave up on: its last attempt failed without the worker recording
 * the outcome (the worker died, lost its claim or shut down). The worker fails those builds.
 */
export const ABANDONED_BUILD_QUEUE = 'project-build-abandoned';

/** What a build job carries: ids only. The worker reads the rest from the build's row. */
export interface BuildJob {
  buildId: string;
  projectId: string;
  userId: string;
  versionId: string;
  /** The W3C trace context (`traceparent`) of the request that queued it: its attempts join that trace. */
  trace?: Record<string, string>;
}

/** The job's data as it is queued: the ids, and the trace of the request that is active now. */
export function buildJobData(job: Omit<BuildJob, 'trace'>): BuildJob {
  const trace: Record<string, string> = {};
  propagation.inject(context.active(), trace);
  return Object.keys(trace).length > 0 ? { ...job, trace } : job;
}
