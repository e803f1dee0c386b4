import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { entityFromRow } from '../database/entity-rows';
import { invalidCursorError } from '../api-fields/opaque-cursor';
import { DEFAULT_PAGE_SIZE } from '../api-fields/page-fields.decorator';
import { ProjectListResponse } from './dto/project-list.response';
import { ProjectResponse } from './dto/project.response';
import { projectAnswer } from './project-answer';
import { ProjectNotFoundError } from './projects.errors';
import { decodeProjectCursor, encodeProjectCursor } from './project-cursor';
import { Project } from './project.entity';

/** Reads `projects` (owned by this module) for their owner; never writes. */
@Injectable()
export class ProjectReadsService {
  constructor(@InjectRepository(Project) private readonly projects: Repository<Project>) {}

  /** The project, if this user owns it; a foreign or unknown id is the same `project_not_found`. */
  async getOwned(userId: string, projectId: string): Promise<ProjectResponse> {
    const project = await this.projects.findOneBy({ id: projectId, ownerId: userId });
    if (!project) throw new ProjectNotFoundError(projectId);
    return projectAnswer(project);
  }

  /** Throws `project_not_found` unless the project exists and this user owns it. */
  async assertOwned(userId: string, projectId: string): Promise<void> {
    if (!(await this.projects.existsBy({ id: projectId, ownerId: userId }))) {
      throw new ProjectNotFoundError(projectId);
    }
  }

  /**
   * One page of the user's projects, newest first, by keyset on (created_at, id) so pages neither
   * skip nor repeat rows while projects are created (projects_owner_newest_idx serves it). SQL, not
   * the repository: the cursor keeps created_at's microseconds, which a JavaScript Date drops.
   */
  async listOwned(userId: string, page: { limit?: number; cursor?: string } = {}): Promise<ProjectListResponse> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const after = page.cursor === undefined ? undefined : decodeProjectCursor(page.cursor);
    if (page.cursor !== undefined && after === undefined) throw invalidCursorError();
    const rows = await this.projects.query<(Record<string, unknown> & { cursor_at: string })[]>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
         FROM projects
        WHERE owner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows
      .slice(0, limit)
      .map((row) => ({ project: entityFromRow(this.projects, row), cursorAt: row.cursor_at }));
    const last = items.at(-1);
    const hasMore = rows.length > limit && last !== undefined;
    return {
      items: items.map(({ project }) => projectAnswer(project)),
      ...(hasMore && { nextCursor: encodeProjectCursor({ createdAt: last.cursorAt, id: last.project.id }) }),
    };
  }
}
