import { Injectable } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../ids/ids';
import { Traced } from '../telemetry/traced.decorator';
import { WorkspaceConfig } from './workspace.config';

/** The folders a project's builds work in: its sources, and one output folder per build (ensureBuildLayout). */
const PROJECT_LAYOUT = ['source', 'builds'] as const;

/** An attempt's output folder (see attemptOutputDirectory): the build id and the attempt number. */
const ATTEMPT_FOLDER = /^\.attempt-([0-9A-HJKMNP-TV-Z]{26})-([1-9][0-9]*)$/;

/** A project's folder found under the root, and when an entry directly in it last changed. */
export interface ProjectFolder {
  userId: string;
  projectId: string;
  modifiedAt: Date;
}

/** What lies under the root, read without following symlinks. */
export interface RootListing {
  projects: ProjectFolder[];
  /** Anything else (files, symlinks, names the service never makes), relative to the root. */
  unexpected: string[];
}

/** What lies in one project's folder, read without following symlinks. `source/` is the builds' business. */
export interface ProjectContents {
  /** Build ids with a published output (`builds/<buildId>`). */
  published: string[];
  /** Attempt output folders (`builds/.attempt-<buildId>-<n>`). */
  attempts: { buildId: string; attempt: number; modifiedAt: Date }[];
  /** Anything else, relative to the root. */
  unexpected: string[];
}

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
        await rm(target, { recursive: true, force: true });
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
    await rm(target, { recursive: true, force: true, maxRetries: 6, retryDelay: 100 });
    await rmdir(this.underRoot(userId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT') throw error;
    });
  }

  /**
   * Lists the root for the integrity audit: `<userId>/<projectId>` folders (lower-case UUIDs), and
   * everything else. Symlinks are listed as unexpected, never followed. An
   * empty user folder is not listed: a create may be about to use it, and it holds nothing.
   */
  async listRoot(): Promise<RootListing> {
    const listing: RootListing = { projects: [], unexpected: [] };
    for (const entry of await directoryEntries(this.config.projectsRoot)) {
      if (entry.isDirectory() && LOWER_CASE_UUID_PATTERN.test(entry.name)) {
        await this.listUserFolder(entry.name, listing);
      } else {
        listing.unexpected.push(entry.name);
      }
    }
    return listing;
  }

  /** Lists a project's folder for the integrity audit: its published outputs, attempt folders, and anything else. */
  async listProjectContents(userId: string, projectId: string): Promise<ProjectContents> {
    const directory = this.projectDirectory(userId, projectId);
    const contents: ProjectContents = { published: [], attempts: [], unexpected: [] };
    let hasBuilds = false;
    for (const entry of await directoryEntries(directory)) {
      const expected = entry.isDirectory() && (PROJECT_LAYOUT as readonly string[]).includes(entry.name);
      if (!expected) contents.unexpected.push(join(userId, projectId, entry.name));
      hasBuilds ||= expected && entry.name === 'builds';
    }
    if (!hasBuilds) return contents;
    const builds = this.buildsDirectory(userId, projectId);
    for (const entry of await directoryEntries(builds)) {
      const attempt = ATTEMPT_FOLDER.exec(entry.name);
      if (entry.isDirectory() && ULID_PATTERN.test(entry.name)) {
        contents.published.push(entry.name);
      } else if (entry.isDirectory() && attempt) {
        const modifiedAt = await modificationTime(join(builds, entry.name));
        if (modifiedAt) contents.attempts.push({ buildId: attempt[1], attempt: Number(attempt[2]), modifiedAt });
      } else {
        contents.unexpected.push(join(userId, projectId, 'builds', entry.name));
      }
    }
    return contents;
  }

  /**
   * Removes the folder of a project that does not exist (the caller checked, under the owner's lock)
   * and the user's folder when it was the last. False, removing nothing, when either folder is not
   * a real directory (a symlink could lead the removal out of the root).
   */
  async removeOrphanProjectDirectory(userId: string, projectId: string): Promise<boolean> {
    const target = this.projectDirectory(userId, projectId);
    if (!(await isRealDirectory(this.underRoot(userId))) || !(await isRealDirectory(target))) return false;
    await this.removeProjectDirectory(userId, projectId);
    return true;
  }

  private async listUserFolder(userId: string, listing: RootListing): Promise<void> {
    for (const entry of await directoryEntries(this.underRoot(userId))) {
      if (entry.isDirectory() && LOWER_CASE_UUID_PATTERN.test(entry.name)) {
        const modifiedAt = await modificationTime(this.projectDirectory(userId, entry.name));
        if (modifiedAt) listing.projects.push({ userId, projectId: entry.name, modifiedAt });
      } else {
        listing.unexpected.push(join(userId, entry.name));
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

/** The entries of a directory, none when it is gone (removed while being listed). */
async function directoryEntries(directory: string): Promise<Dirent[]> {
  return readdir(directory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
}

/** When the entry last changed (the link itself for a symlink); undefined when it is gone. */
async function modificationTime(path: string): Promise<Date | undefined> {
  return (await entryStats(path))?.mtime;
}

async function isRealDirectory(path: string): Promise<boolean> {
  return (await entryStats(path))?.isDirectory() ?? false;
}

/** The entry itself (never a symlink's target); undefined when it is gone. */
async function entryStats(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}
