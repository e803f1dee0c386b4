import { Injectable } from '@nestjs/common';
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ULID_PATTERN } from '../ids/ids';
import { ProjectDirectoriesService } from './project-directories.service';
import { attemptPrefix } from './workspace-layout';
import { removeTree } from './remove-tree';

/**
 * Owns the builds' outputs in a project's `builds/` folder: one hidden folder per attempt, and the
 * published output (`builds/<buildId>`) an attempt becomes when its build succeeds.
 */
@Injectable()
export class BuildOutputsService {
  constructor(private readonly directories: ProjectDirectoriesService) {}

  /** The path of a build's published output, relative to its project's directory (the version's artifact path). */
  buildOutputPath(buildId: string): string {
    if (!ULID_PATTERN.test(buildId)) throw new TypeError(`not a ULID: ${JSON.stringify(buildId)}`);
    return join('builds', buildId);
  }

  /**
   * Where one attempt of a build writes its output: a hidden folder beside the published one, so an
   * attempt that outlived its claim can never overwrite what a later attempt published.
   */
  attemptOutputDirectory(userId: string, projectId: string, buildId: string, attempt: number): string {
    if (!Number.isInteger(attempt) || attempt < 1) throw new TypeError(`not an attempt number: ${attempt}`);
    return join(this.directories.buildsDirectory(userId, projectId), `${attemptPrefix(buildId)}${attempt}`);
  }

  /**
   * Publishes an attempt's output as the build's output (an atomic rename) and returns the undo,
   * which moves it back, so a retried publish finds it again. A leftover at the target can only come from a publish whose transaction
   * did not commit, so it is replaced.
   */
  async publishAttemptOutput(
    userId: string,
    projectId: string,
    buildId: string,
    attempt: number,
  ): Promise<() => Promise<void>> {
    const published = join(this.directories.projectDirectory(userId, projectId), this.buildOutputPath(buildId));
    const attemptOutput = this.attemptOutputDirectory(userId, projectId, buildId, attempt);
    try {
      await rename(attemptOutput, published);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await removeTree(published);
      await rename(attemptOutput, published);
    }
    return () => rename(published, attemptOutput);
  }

  /**
   * Removes a build's published output: its version expired (retention, ADR 039). A symlink in its
   * place is removed itself, never followed.
   */
  async removePublishedOutput(userId: string, projectId: string, buildId: string): Promise<void> {
    const published = join(this.directories.projectDirectory(userId, projectId), this.buildOutputPath(buildId));
    await removeTree(published);
  }

  /** Removes what the build's attempts left unpublished (failed, stopped, or their worker died). */
  async removeAttemptOutputs(userId: string, projectId: string, buildId: string): Promise<void> {
    const builds = this.directories.buildsDirectory(userId, projectId);
    const entries = await readdir(builds).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const prefix = attemptPrefix(buildId);
    await Promise.all(
      entries.filter((entry) => entry.startsWith(prefix)).map((entry) => removeTree(join(builds, entry))),
    );
  }
}
