import { Injectable } from '@nestjs/common';
import { mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../ids/ids';
import { WorkspaceConfig } from './workspace.config';

/** The folders every project starts with: its sources, and one output folder per build. */
const PROJECT_LAYOUT = ['source', 'builds'] as const;

/**
 * Owns the directories under PROJECTS_ROOT: `<root>/<userId>/<projectId>`. Paths are built only
 * from lower-case UUIDs and checked to stay under the root, so no caller input can steer them.
 */
@Injectable()
export class WorkspaceService {
  constructor(private readonly config: WorkspaceConfig) {}

  projectDirectory(userId: string, projectId: string): string {
    for (const id of [userId, projectId]) {
      if (!LOWER_CASE_UUID_PATTERN.test(id)) throw new TypeError(`not a lower-case UUID: ${JSON.stringify(id)}`);
    }
    return this.underRoot(join(userId, projectId));
  }

  /** The project's `source/` folder, which every build of the project works in. */
  sourceDirectory(userId: string, projectId: string): string {
    return join(this.projectDirectory(userId, projectId), 'source');
  }

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
    return join(this.buildsDirectory(userId, projectId), `${attemptPrefix(buildId)}${attempt}`);
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
    const published = join(this.projectDirectory(userId, projectId), this.buildOutputPath(buildId));
    const attemptOutput = this.attemptOutputDirectory(userId, projectId, buildId, attempt);
    try {
      await rename(attemptOutput, published);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(published, { recursive: true, force: true });
      await rename(attemptOutput, published);
    }
    return () => rename(published, attemptOutput);
  }

  /** Removes what the build's attempts left unpublished (failed, stopped, or their worker died). */
  async removeAttemptOutputs(userId: string, projectId: string, buildId: string): Promise<void> {
    const builds = this.buildsDirectory(userId, projectId);
    const entries = await readdir(builds).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const prefix = attemptPrefix(buildId);
    await Promise.all(
      entries
        .filter((entry) => entry.startsWith(prefix))
        .map((entry) => rm(join(builds, entry), { recursive: true, force: true })),
    );
  }

  /**
   * Creates the project's directory with its layout. It is assembled in a staging folder and renamed
   * into place, so the directory appears complete or not at all.
   */
  async createProjectDirectory(userId: string, projectId: string): Promise<string> {
    const target = this.projectDirectory(userId, projectId);
    await mkdir(this.config.projectsRoot, { recursive: true });
    const staging = await mkdtemp(join(this.config.projectsRoot, '.staging-'));
    try {
      await Promise.all(PROJECT_LAYOUT.map((folder) => mkdir(join(staging, folder))));
      await this.moveIntoPlace(staging, target);
      return target;
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /** Removes the project's directory and, when it was the user's last, the user's folder too. */
  async removeProjectDirectory(userId: string, projectId: string): Promise<void> {
    const target = this.projectDirectory(userId, projectId);
    await rm(target, { recursive: true, force: true });
    await rmdir(this.underRoot(userId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT') throw error;
    });
  }

  /**
   * A leftover at the target can only be an orphan of a creation that never committed (the
   * project id was just checked to be unused), so it is replaced. The user's folder may vanish
   * between mkdir and rename when another request's rollback removes it empty: then try again.
   */
  private async moveIntoPlace(staging: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(staging, target);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (attempt === 3) throw error;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') await rm(target, { recursive: true, force: true });
        else if (code !== 'ENOENT') throw error;
      }
    }
  }

  private buildsDirectory(userId: string, projectId: string): string {
    return join(this.projectDirectory(userId, projectId), 'builds');
  }

  private underRoot(path: string): string {
    const root = this.config.projectsRoot;
    const absolute = resolve(root, path);
    const fromRoot = relative(root, absolute);
    if (fromRoot === '' || fromRoot.startsWith(`..${sep}`) || fromRoot === '..' || isAbsolute(fromRoot)) {
      throw new Error('path escapes the projects root');
    }
    return absolute;
  }
}

function attemptPrefix(buildId: string): string {
  if (!ULID_PATTERN.test(buildId)) throw new TypeError(`not a ULID: ${JSON.stringify(buildId)}`);
  return `.attempt-${buildId}-`;
}
