import { Injectable } from '@nestjs/common';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../ids/ids';
import { entryStats, ProjectDirectoriesService } from './project-directories.service';
import { ATTEMPT_FOLDER, PROJECT_LAYOUT } from './workspace-layout';
import { WorkspaceConfig } from './workspace.config';

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
 * Reads the tree under PROJECTS_ROOT for the integrity audit, changing nothing: the project
 * folders, their published outputs and attempt folders, and whatever else lies there.
 */
@Injectable()
export class WorkspaceScanService {
  constructor(
    private readonly config: WorkspaceConfig,
    private readonly directories: ProjectDirectoriesService,
  ) {}

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
    const directory = this.directories.projectDirectory(userId, projectId);
    const contents: ProjectContents = { published: [], attempts: [], unexpected: [] };
    let hasBuilds = false;
    for (const entry of await directoryEntries(directory)) {
      const expected = entry.isDirectory() && (PROJECT_LAYOUT as readonly string[]).includes(entry.name);
      if (!expected) contents.unexpected.push(join(userId, projectId, entry.name));
      hasBuilds ||= expected && entry.name === 'builds';
    }
    if (!hasBuilds) return contents;
    const builds = this.directories.buildsDirectory(userId, projectId);
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

  private async listUserFolder(userId: string, listing: RootListing): Promise<void> {
    for (const entry of await directoryEntries(this.directories.userDirectory(userId))) {
      if (entry.isDirectory() && LOWER_CASE_UUID_PATTERN.test(entry.name)) {
        const modifiedAt = await modificationTime(this.directories.projectDirectory(userId, entry.name));
        if (modifiedAt) listing.projects.push({ userId, projectId: entry.name, modifiedAt });
      } else {
        listing.unexpected.push(join(userId, entry.name));
      }
    }
  }
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
