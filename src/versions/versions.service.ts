import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Framework } from '../projects/framework';

export interface SucceededVersion {
  versionId: string;
  buildId: string;
  projectId: string;
  userId: string;
  prompt: string;
  framework: Framework;
  /** The build's output folder, relative to the project's directory. */
  artifactPath: string;
}

/** Owns `project_versions`: a version exists only for a build that succeeded. */
@Injectable()
export class VersionsService {
  /** Records the version of a succeeded build; a repeat (retried or crashed worker) is a no-op. */
  async recordSucceeded(manager: EntityManager, version: SucceededVersion): Promise<void> {
    await manager.query(
      `INSERT INTO project_versions (version_id, build_id, project_id, user_id, prompt, framework, artifact_path)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING`,
      [
        version.versionId,
        version.buildId,
        version.projectId,
        version.userId,
        version.prompt,
        version.framework,
        version.artifactPath,
      ],
    );
  }

  /** Where a version's files are, if the version exists for this project (only succeeded builds have one). */
  async findArtifact(
    manager: EntityManager,
    projectId: string,
    versionId: string,
  ): Promise<{ userId: string; artifactPath: string } | undefined> {
    const [version] = await manager.query<{ user_id: string; artifact_path: string }[]>(
      `SELECT user_id, artifact_path FROM project_versions WHERE version_id = $1 AND project_id = $2`,
      [versionId, projectId],
    );
    return version && { userId: version.user_id, artifactPath: version.artifact_path };
  }
}
