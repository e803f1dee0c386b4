import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ProjectVersion } from './project-version.entity';

/** What a succeeded build's version is recorded with; the database numbers and dates the row. */
export type SucceededVersion = Omit<ProjectVersion, 'id' | 'createdAt'>;

/** Owns `project_versions`: a version exists only for a build that succeeded. */
@Injectable()
export class VersionsService {
  /**
   * Records the version of a succeeded build; a repeat (retried or crashed worker) is a no-op
   * (`ON CONFLICT DO NOTHING`: the version and build ids are unique).
   */
  async recordSucceeded(manager: EntityManager, version: SucceededVersion): Promise<void> {
    await manager.getRepository(ProjectVersion).createQueryBuilder().insert().values(version).orIgnore().execute();
  }

  /**
   * Where a version's files are, if the version exists for this project (only succeeded builds have
   * one). The one answer to "may this version's files be served": both preview URLs and a rollback
   * ask it (ADR 036), so a version whose files are gone needs saying here only.
   */
  async findArtifact(
    manager: EntityManager,
    projectId: string,
    versionId: string,
  ): Promise<Pick<ProjectVersion, 'userId' | 'artifactPath'> | undefined> {
    const version = await manager
      .getRepository(ProjectVersion)
      .findOne({ where: { versionId, projectId }, select: { userId: true, artifactPath: true } });
    return version ?? undefined;
  }
}
