import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RequestValidationError } from '../http/request-validation.error';
import { previewUrl } from '../versions/preview-url';
import { DEFAULT_PAGE_SIZE } from './dto/list-projects.query';
import { ProjectListResponse } from './dto/project-list.response';
import { ProjectResponse } from './dto/project.response';
import { ProjectNotFoundError } from './projects.errors';
import { decodeProjectCursor, encodeProjectCursor } from './project-cursor';
import { ProjectBuildStatus, IdSource } from './project.entity';
import { Framework } from './framework';

/** Reads `projects` (owned by this module) for their owner; never writes. */
@Injectable()
export class ProjectReadsService {
  constructor(private readonly dataSource: DataSource) {}

  /** The project, if this user owns it; a foreign or unknown id is the same `project_not_found`. */
  async getOwned(userId: string, projectId: string): Promise<ProjectResponse> {
    const [row] = await this.dataSource.query<ProjectRow[]>(
      `SELECT ${COLUMNS} FROM projects WHERE id = $1 AND owner_id = $2`,
      [projectId, userId],
    );
    if (!row) throw new ProjectNotFoundError(projectId);
    return toResponse(row);
  }

  /** Throws `project_not_found` unless the project exists and this user owns it. */
  async assertOwned(userId: string, projectId: string): Promise<void> {
    const rows = await this.dataSource.query<unknown[]>(`SELECT 1 FROM projects WHERE id = $1 AND owner_id = $2`, [
      projectId,
      userId,
    ]);
    if (rows.length === 0) throw new ProjectNotFoundError(projectId);
  }

  /**
   * One page of the user's projects, newest first, by keyset on (created_at, id) so pages neither
   * skip nor repeat rows while projects are created (projects_owner_newest_idx serves it).
   */
  async listOwned(userId: string, page: { limit?: number; cursor?: string } = {}): Promise<ProjectListResponse> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const after = page.cursor === undefined ? undefined : decodeProjectCursor(page.cursor);
    if (page.cursor !== undefined && after === undefined) {
      throw new RequestValidationError([{ field: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
    }
    const rows = await this.dataSource.query<(ProjectRow & { cursor_at: string })[]>(
      `SELECT ${COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
         FROM projects
        WHERE owner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const hasMore = rows.length > limit && last !== undefined;
    return {
      items: items.map(toResponse),
      ...(hasMore && { nextCursor: encodeProjectCursor({ createdAt: last.cursor_at, id: last.id }) }),
    };
  }
}

const COLUMNS = `id, owner_id, name, framework, build_status, current_version_id, current_build_id, id_source,
  created_by_service, created_at, updated_at`;

interface ProjectRow {
  id: string;
  owner_id: string;
  name: string;
  framework: Framework;
  build_status: ProjectBuildStatus;
  current_version_id: string | null;
  current_build_id: string | null;
  id_source: IdSource;
  created_by_service: string;
  created_at: Date;
  updated_at: Date;
}

/** Columns that are NULL become absent fields: `null` is not a value in this API. */
function toResponse(row: ProjectRow): ProjectResponse {
  return {
    projectId: row.id,
    ownerId: row.owner_id,
    name: row.name,
    framework: row.framework,
    buildStatus: row.build_status,
    ...(row.current_version_id !== null && { currentVersionId: row.current_version_id }),
    ...(row.current_build_id !== null && { currentBuildId: row.current_build_id }),
    idSource: row.id_source,
    createdBy: row.created_by_service,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.current_version_id !== null && { previewUrl: previewUrl(row.id, row.current_version_id) }),
  };
}
