/** Where a version's built files are served (GET /preview/:projectId/:versionId/). */
export function previewUrl(projectId: string, versionId: string): string {
  return `/preview/${projectId}/${versionId}/`;
}

/** Where the project's current version is served, whichever it is (GET /preview/:projectId/; ADR 036). */
export function livePreviewUrl(projectId: string): string {
  return `/preview/${projectId}/`;
}
