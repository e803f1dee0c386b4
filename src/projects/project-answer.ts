import { livePreviewUrl, previewUrl } from '../versions/preview-url';
import { ProjectResponse } from './dto/project.response';
import { Project } from './project.entity';

/**
 * What every read of a project answers (GET /v1/projects[/:id], and the rollback's answer).
 * Columns that are NULL become absent fields: `null` is not a value in this API.
 */
export function projectAnswer(project: Project): ProjectResponse {
  return {
    projectId: project.id,
    ownerId: project.ownerId,
    name: project.name,
    framework: project.framework,
    buildStatus: project.buildStatus,
    ...(project.currentVersionId !== null && { currentVersionId: project.currentVersionId }),
    ...(project.currentBuildId !== null && { currentBuildId: project.currentBuildId }),
    idSource: project.idSource,
    createdBy: project.createdByService,
    createdAt: project.createdAt.toISOString(),
    updatedAt: project.updatedAt.toISOString(),
    ...(project.currentVersionId !== null && {
      previewUrl: previewUrl(project.id, project.currentVersionId),
      livePreviewUrl: livePreviewUrl(project.id),
    }),
  };
}
