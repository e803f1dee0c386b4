import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ProjectReadsService } from '../projects/project-reads.service';
import { VersionListResponse } from './dto/version-list.response';
import { previewUrl } from './preview-url';
import { ProjectVersion } from './project-version.entity';

/** Reads `project_versions` (owned by this module) for the project's owner; never writes. */
@Injectable()
export class VersionReadsService {
  constructor(
    @InjectRepository(ProjectVersion) private readonly versions: Repository<ProjectVersion>,
    private readonly projects: ProjectReadsService,
  ) {}

  /**
   * The project's versions, newest first (ULIDs sort by creation). `project_not_found` when the
   * user does not own the project, so an empty list always means "no successful build yet".
   */
  async listOwned(userId: string, projectId: string): Promise<VersionListResponse> {
    await this.projects.assertOwned(userId, projectId);
    const versions = await this.versions.find({ where: { projectId }, order: { versionId: 'DESC' } });
    return {
      items: versions.map((version) => ({
        versionId: version.versionId,
        buildId: version.buildId,
        prompt: version.prompt,
        framework: version.framework,
        createdAt: version.createdAt.toISOString(),
        previewUrl: previewUrl(projectId, version.versionId),
        ...(version.expiredAt && { expiredAt: version.expiredAt.toISOString() }),
      })),
    };
  }
}
