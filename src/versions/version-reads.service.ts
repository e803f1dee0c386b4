import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Framework } from '../projects/framework';
import { ProjectReadsService } from '../projects/project-reads.service';
import { VersionListResponse } from './dto/version-list.response';
import { previewUrl } from './preview-url';

/** Reads `project_versions` (owned by this module) for the project's owner; never writes. */
@Injectable()
export class VersionReadsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectReadsService,
  ) {}

  /**
   * The project's versions, newest first (ULIDs sort by creation). `project_not_found` when the
   * user does not own the project, so an empty list always means "no successful build yet".
   */
  async listOwned(userId: string, projectId: string): Promise<VersionListResponse> {
    await this.projects.assertOwned(userId, projectId);
    const rows = await this.dataSource.query<VersionRow[]>(
      `SELECT version_id, build_id, prompt, framework, created_at
         FROM project_versions
        WHERE project_id = $1
        ORDER BY version_id DESC`,
      [projectId],
    );
    return {
      items: rows.map((row) => ({
        versionId: row.version_id,
        buildId: row.build_id,
        prompt: row.prompt,
        framework: row.framework,
        createdAt: row.created_at.toISOString(),
        previewUrl: previewUrl(projectId, row.version_id),
      })),
    };
  }
}

interface VersionRow {
  version_id: string;
  build_id: string;
  prompt: string;
  framework: Framework;
  created_at: Date;
}
