import { Injectable } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LOWER_CASE_UUID_PATTERN } from '../ids/ids';
import { Traced } from '../telemetry/traced.decorator';
import { PROJECT_LAYOUT } from './workspace-layout';
import { WorkspaceConfig } from './workspace.config';
import { removeTree } from './remove-tree';

/**
 * Owns the directories under PROJECTS_ROOT: `<root>/<userId>/<projectId>`, made, laid out and
 * removed here. Paths are built only from lower-case UUIDs and checked to stay under the root, so
 * no caller input can steer them.
 */
@Injectable()
export class ProjectDirectoriesService {
  constructor(private readonly config: WorkspaceConfig) {}

  projectDirectory(userId: string, projectId: string): string {
    for (const id of [userId, projectId]) {
      if (!LOWER_CASE_UUID_PATTERN.test(id)) throw new TypeError(`not a lower-case UUID: ${JSON.stringify(id)}`);
    }
    return this.underRoot(join(userId, projectId));
  }

  /** The user's folder, which holds the user's project directories. */
  userDirectory(userId: string): string {
    if (!LOWER_CASE_UUID_PATTERN.test(userId)) throw new TypeError(`not a lower-case UUID: ${JSON.stringify(userId)}`);
    return this.underRoot(userId);
  }

  /** The project's `source/` folder, which every build of the project works in. */
  sourceDirectory(userId: string, projectId: string): string {
    return join(this.projectDirectory(userId, projectId), 'source');
  }

  /** The project's `builds/` folder: the builds' published outputs and their attempts' folders. */
  buildsDirectory(userId: string, projectId: string): string {
    return join(this.projectDirectory(userId, projectId), 'builds');
  }

  /**
   * Creates the project's directory: one mkdir, so it appears whole or not at all, and no more file
   * system work than a create needs (its folders come with its first build: ensureBuildLayout). A
   * directory already there can only be an orphan of a creation that never committed (nothing is
   * at a fresh id's path; a caller's id was just found unused), so it is replaced. The user's
   * folder may vanish meanwhile when another request's rollback removes it empty: then try again.
   * The mkdir is synchronous: it is one metadata update of a local file system, which costs a
   * create less CPU on the event loop than handing it to libuv's thread pool and back (ADR 024).
   */
  @Traced('workspace.create_directory')
  async createProjectDirectory(userId: string, projectId: string): Promise<string> {
    const target = this.projectDirectory(userId, projectId);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        if (mkdirSync(target, { recursive: true }) !== undefined) return target;
        await removeTree(target);
      } catch (error) {
        if (attempt === 3 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`the project directory ${target} keeps coming back`);
  }

  /**
   * Makes the project's `source/` and `builds/` folders where they are missing (before every build
   * attempt; the first one makes them). Not recursive: the directory of a project deleted meanwhile
   * is not brought back, and the builder then fails the build for its missing folders.
   */
  async ensureBuildLayout(userId: string, projectId: string): Promise<void> {
    const directory = this.projectDirectory(userId, projectId);
    await Promise.all(
      PROJECT_LAYOUT.map((folder) =>
        mkdir(join(directory, folder)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST' && error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  }

  /** Removes the project's directory and, when it was the user's last, the user's folder too. */
  async removeProjectDirectory(userId: string, projectId: string): Promise<void> {
    const target = this.projectDirectory(userId, projectId);
    // A build of the project may still write into it until it sees the project gone (within a
    // second, ADR 016): a folder refilled while it is removed fails with ENOTEMPTY, so retry.
    await removeTree(target, { maxRetries: 6, retryDelay: 100 });
    await rmdir(this.userDirectory(userId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT') throw error;
    });
  }

  /**
   * Removes the folder of a project that does not exist (the caller checked, under the owner's lock)
   * and the user's folder when it was the last. False, removing nothing, when either folder is not
   * a real directory (a symlink could lead the removal out of the root).
   */
  async removeOrphanProjectDirectory(userId: string, projectId: string): Promise<boolean> {
    const target = this.projectDirectory(userId, projectId);
    if (!(await isRealDirectory(this.userDirectory(userId))) || !(await isRealDirectory(target))) return false;
    await this.removeProjectDirectory(userId, projectId);
    return true;
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

async function isRealDirectory(path: string): Promise<boolean> {
  return (await entryStats(path))?.isDirectory() ?? false;
}

/** The entry itself (never a symlink's target); undefined when it is gone. */
export async function entryStats(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}
