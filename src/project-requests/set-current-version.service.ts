import { Injectable } from '@nestjs/common';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectResponse } from '../projects/dto/project.response';
import { projectAnswer } from '../projects/project-answer';
import { ProjectNotFoundError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { VersionExpiredError, VersionNotFoundError } from '../versions/versions.errors';
import { VersionsService } from '../versions/versions.service';

/**
 * POST /v1/projects/:projectId/current-version: a rollback (or forward again) to a version a
 * succeeded build made, without a build, a job or AI time (ADR 036). The projects module changes
 * its row; the versions module says whether the version's files may be served.
 */
@Injectable()
export class SetCurrentVersionService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly projects: ProjectsService,
    private readonly versions: VersionsService,
  ) {}

  /**
   * Under the owner's advisory lock, so it is ordered with the build outcomes, updates and deletes
   * of the user's projects: the project (404 for an unknown or foreign one), the version (404 unless
   * a succeeded build of this project made it, 410 when retention removed its files), then the
   * project pointed at it. The version already
   * current changes nothing, not even `updated_at`. Answers the project as its read does.
   */
  setCurrentVersion(userId: string, projectId: string, versionId: string): Promise<ProjectResponse> {
    return this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      const project = await this.projects.findOwned(manager, projectId, userId);
      if (!project) throw new ProjectNotFoundError(projectId);
      const version = await this.versions.findArtifact(manager, projectId, versionId);
      if (!version) throw new VersionNotFoundError(versionId);
      if (version.expiredAt) throw new VersionExpiredError(versionId);
      if (project.currentVersionId === versionId) return projectAnswer(project);
      return projectAnswer(await this.projects.setCurrentVersion(manager, projectId, versionId));
    });
  }
}
