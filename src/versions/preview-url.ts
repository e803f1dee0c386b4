/** Where a version's built files are served (GET /preview/:projectId/:versionId/). */
export function previewUrl(projectId: string, versionId: string): string {
  return `/preview/${projectId}/${versionId}/`;
}
