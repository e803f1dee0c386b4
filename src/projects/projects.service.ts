import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Project } from './project.entity';

/**
 * Owns `projects`: reads and deletes projects and keeps their build status fields. A project is
 * inserted, and pointed at its queued builds, by the create and update database functions
 * (`projects_insert`, `projects_mark_build_queued`; migration BuildRequestFunctions).
 */
@Injectable()
export class ProjectsService {
  /** The project if it belongs to the owner; undefined for an unknown project and for another owner's. */
  async findOwned(manager: EntityManager, projectId: string, ownerId: string): Promise<Project | undefined> {
    return (await manager.findOne(Project, { where: { id: projectId, ownerId } })) ?? undefined;
  }

  /** The project's current build started an attempt. */
  async markBuilding(manager: EntityManager, projectId: string, buildId: string): Promise<void> {
    await manager.query(
      `UPDATE projects SET build_status = 'building', updated_at = now() WHERE id = $1 AND current_build_id = $2`,
      [projectId, buildId],
    );
  }

  /**
   * The project's current build finished: `ready` with its new current version, or `failed`
   * keeping the version it had. A build that is no longer current changes nothing.
   */
  async markBuildFinished(
    manager: EntityManager,
    projectId: string,
    buildId: string,
    outcome: { status: 'ready'; versionId: string } | { status: 'failed' },
  ): Promise<void> {
    await manager.query(
      `UPDATE projects
          SET build_status = $3, current_version_id = coalesce($4, current_version_id), updated_at = now()
        WHERE id = $1 AND current_build_id = $2`,
      [projectId, buildId, outcome.status, outcome.status === 'ready' ? outcome.versionId : null],
    );
  }

  /** The project's display name, for the builder. */
  async nameOf(manager: EntityManager, projectId: string): Promise<string | undefined> {
    const project = await manager.findOne(Project, { where: { id: projectId }, select: { name: true } });
    return project?.name;
  }

  /** Deletes the project; its builds, versions and sessions go with it (cascading foreign keys). */
  async delete(manager: EntityManager, projectId: string): Promise<void> {
    await manager.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
  }
}
