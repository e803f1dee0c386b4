import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newProjectId } from '../ids/ids';
import { Traced } from '../telemetry/traced.decorator';
import { Framework } from './framework';
import { IdSource, Project } from './project.entity';
import { ProjectIdConflictError } from './projects.errors';

export interface NewProject {
  ownerId: string;
  name: string;
  framework: Framework;
  /** Legacy callers may still choose the id; it is accepted only while unused. */
  requestedId?: string;
}

export interface CreatedProject {
  projectId: string;
  idSource: IdSource;
}

/** Owns `projects`: inserts, reads and deletes projects and keeps their build status fields. */
@Injectable()
export class ProjectsService {
  @Traced('db.insert projects')
  async create(manager: EntityManager, project: NewProject): Promise<CreatedProject> {
    const idSource: IdSource = project.requestedId === undefined ? 'server' : 'client';
    const projectId = project.requestedId ?? newProjectId();
    // ON CONFLICT also covers a concurrent insert of the same legacy id: it waits for that
    // transaction and reports the conflict once it commits, instead of failing with a 500.
    const inserted = await manager.query<{ id: string }[]>(
      `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [projectId, project.ownerId, project.name, project.framework, idSource],
    );
    if (inserted.length === 0) throw new ProjectIdConflictError(projectId);
    return { projectId, idSource };
  }

  /** The project if it belongs to the owner; undefined for an unknown project and for another owner's. */
  async findOwned(manager: EntityManager, projectId: string, ownerId: string): Promise<Project | undefined> {
    return (await manager.findOne(Project, { where: { id: projectId, ownerId } })) ?? undefined;
  }

  /**
   * Points the project at the build that was just queued for it. The project takes the build's
   * framework: an update may switch it, and the project then reads as what it is being rebuilt as.
   */
  @Traced('db.update projects')
  async markBuildQueued(
    manager: EntityManager,
    projectId: string,
    build: { buildId: string; framework: Framework },
  ): Promise<void> {
    await manager.query(
      `UPDATE projects SET current_build_id = $2, framework = $3, build_status = 'queued', last_build_started = now(),
              updated_at = now()
        WHERE id = $1`,
      [projectId, build.buildId, build.framework],
    );
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
