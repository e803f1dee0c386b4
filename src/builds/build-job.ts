/** The build queue's name in pg-boss. */
export const BUILD_QUEUE = 'project-build';

/** What a build job carries: ids only. The worker reads the rest from the build's row. */
export interface BuildJob {
  buildId: string;
  projectId: string;
  userId: string;
  versionId: string;
}
