import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ProjectVersion } from './project-version.entity';

/** What a succeeded build's version is recorded with; the database numbers and dates the row. */
export type SucceededVersion = Omit<ProjectVersion, 'id' | 'createdAt' | 'expiredAt'>;

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
   * one), and whether retention has removed them. The one answer to "may this version's files be
   * served": both preview URLs and a rollback ask it (ADR 036, ADR 039).
   */
  async findArtifact(
    manager: EntityManager,
    projectId: string,
    versionId: string,
  ): Promise<Pick<ProjectVersion, 'userId' | 'artifactPath' | 'expiredAt'> | undefined> {
    const version = await manager
      .getRepository(ProjectVersion)
      .findOne({ where: { versionId, projectId }, select: { userId: true, artifactPath: true, expiredAt: true } });
    return version ?? undefined;
  }

  /**
   * Marks up to `most` of the project's versions beyond its newest `kept` as expired (the newest of
   * them first), except `currentVersionId`, and returns their builds (whose outputs the caller
   * removes). Run under the owner's lock, so the current version cannot change meanwhile; marking an
   * expired version again changes nothing.
   */
  async expireBeyondNewest(
    manager: EntityManager,
    projectId: string,
    kept: number,
    currentVersionId: string | null,
    most: number,
  ): Promise<{ versionId: string; buildId: string }[]> {
    const [rows] = await manager.query<[{ versionId: string; buildId: string }[], number]>(
      `UPDATE project_versions SET expired_at = now()
        WHERE version_id IN (
                SELECT version_id FROM project_versions
                 WHERE project_id = $1 AND expired_at IS NULL
                 ORDER BY version_id DESC
                OFFSET $2
                 LIMIT $4)
          AND version_id IS DISTINCT FROM $3
        RETURNING version_id AS "versionId", build_id AS "buildId"`,
      [projectId, kept, currentVersionId, most],
    );
    return rows;
  }
}
