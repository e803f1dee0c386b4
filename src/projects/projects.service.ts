import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { entityFromRow } from '../database/entity-rows';
import { Project } from './project.entity';

/**
 * Owns `projects`: reads and deletes projects and keeps their build status fields. A project is
 * inserted, and pointed at its queued builds, by the create and update database functions
 * (`projects_insert`, `projects_mark_build_queued`; migration BuildRequestFunctions). Every update
 * here also sets `updated_at` (the entity's UpdateDateColumn).
 */
@Injectable()
export class ProjectsService {
  /** The project if it belongs to the owner; undefined for an unknown project and for another owner's. */
  async findOwned(manager: EntityManager, projectId: string, ownerId: string): Promise<Project | undefined> {
    return (await manager.getRepository(Project).findOneBy({ id: projectId, ownerId })) ?? undefined;
  }

  /** The version the project serves now, if it has one (the stable preview URL reads it at every request). */
  async currentVersionOf(manager: EntityManager, projectId: string): Promise<string | undefined> {
    const project = await manager
      .getRepository(Project)
      .findOne({ where: { id: projectId }, select: { id: true, currentVersionId: true } });
    return project?.currentVersionId ?? undefined;
  }

  /** The project's current build started an attempt. */
  async markBuilding(manager: EntityManager, projectId: string, buildId: string): Promise<void> {
    await manager
      .getRepository(Project)
      .update({ id: projectId, currentBuildId: buildId }, { buildStatus: 'building' });
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
    await manager
      .getRepository(Project)
      .update(
        { id: projectId, currentBuildId: buildId },
        outcome.status === 'ready'
          ? { buildStatus: 'ready', currentVersionId: outcome.versionId }
          : { buildStatus: 'failed' },
      );
  }

  /**
   * The project's current build was canceled: the project is `ready` on its current version, or
   * `failed` when it has none (its first build was canceled), whatever its status was before that
   * build (a failed update before it included: the current version is served). A build that is no
   * longer current changes nothing.
   */
  async markBuildCanceled(manager: EntityManager, projectId: string, buildId: string): Promise<void> {
    await manager
      .getRepository(Project)
      .update(
        { id: projectId, currentBuildId: buildId },
        { buildStatus: () => `CASE WHEN current_version_id IS NULL THEN 'failed' ELSE 'ready' END` },
      );
  }

  /**
   * A rollback: the project serves another of its versions, the row as it is now answered. Its
   * build status and current build stay as they are (ADR 036): a build still queued or running
   * makes its version current when it succeeds, as any build does.
   */
  async setCurrentVersion(manager: EntityManager, projectId: string, versionId: string): Promise<Project> {
    const projects = manager.getRepository(Project);
    const updated = await projects
      .createQueryBuilder()
      .update()
      .set({ currentVersionId: versionId })
      .where({ id: projectId })
      .returning('*')
      .execute();
    const [row] = updated.raw as Record<string, unknown>[];
    return entityFromRow(projects, row);
  }

  /** The project's display name, for the builder. */
  async nameOf(manager: EntityManager, projectId: string): Promise<string | undefined> {
    const project = await manager.getRepository(Project).findOne({ where: { id: projectId }, select: { name: true } });
    return project?.name;
  }

  /** Deletes the project; its builds, versions and sessions go with it (cascading foreign keys). */
  async delete(manager: EntityManager, projectId: string): Promise<void> {
    await manager.getRepository(Project).delete({ id: projectId });
  }
}
