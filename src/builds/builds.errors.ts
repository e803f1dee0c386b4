/**
 * pg-boss answered `null`: the queue is missing or a singleton key clashed. A server fault (a 500),
 * never silently dropped, so the project's transaction rolls back.
 */
export class BuildNotEnqueuedError extends Error {
  constructor(buildId: string) {
    super(`the build queue refused build ${buildId}`);
    this.name = 'BuildNotEnqueuedError';
  }
}
