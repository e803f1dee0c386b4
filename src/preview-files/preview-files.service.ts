import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import parseRange from 'range-parser';
import { DataSource } from 'typeorm';
import { VersionsService } from '../versions/versions.service';
import { ProjectsService } from '../projects/projects.service';
import { WorkspaceConfig } from '../workspace/workspace.config';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';
import { VersionExpiredError } from '../versions/versions.errors';
import { contentTypeOf } from './preview-content-types';
import { PreviewFileNotFoundError, PreviewRangeNotSatisfiableError } from './preview-files.errors';
import { parsePreviewRequest } from './preview-request';

/** A file of a version's output folder that a preview URL names, found but not opened. */
export interface PreviewTarget {
  /** Its real path, inside the output folder. */
  path: string;
  versionId: string;
  /** Asked for at the project's stable URL (the current version), not at the version's own. */
  live: boolean;
}

/** What a preview request answers: the file's bytes (all, or the one range asked for) and its type. */
export interface PreviewFile {
  stream: Readable;
  contentType: string;
  /** The length of what `stream` gives. */
  length: number;
  /** Set when a `Range` was served (206): the part's first and last byte and the file's size. */
  range?: { start: number; end: number; size: number };
}

/**
 * Serves the files of a succeeded build's output folder, read-only: the version a URL names, or
 * the project's current one at its stable URL. Owns no table: the projects module says which
 * version is current, the versions module where a version's files are.
 *
 * Every request path is checked twice: as text (each segment decoded once, and no `..`, dot-file,
 * slash, backslash or NUL left after decoding), then on disk (the file's real path, symlinks
 * resolved, must lie inside the output folder's real path). Any failure is the same 404. What is
 * opened is then checked on its descriptor: only a regular file with one link is served (see
 * open), whatever a process that outlived its build put there since it was published.
 */
@Injectable()
export class PreviewFilesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsService,
    private readonly versions: VersionsService,
    private readonly directories: ProjectDirectoriesService,
    private readonly workspaceConfig: WorkspaceConfig,
  ) {}

  /**
   * The file a preview URL names, found and checked as text and on disk, not yet opened. `url` is
   * the request target as received (not decoded, query included).
   */
  async locate(url: string): Promise<PreviewTarget> {
    const request = parsePreviewRequest(url);
    if (!request) throw new PreviewFileNotFoundError();
    const versionId =
      request.versionId ?? (await this.projects.currentVersionOf(this.dataSource.manager, request.projectId));
    if (versionId === undefined) throw new PreviewFileNotFoundError();
    const outputDirectory = await this.outputDirectory(request.projectId, versionId);
    if (!outputDirectory) throw new PreviewFileNotFoundError();
    const path = await this.realFileInside(outputDirectory, request.segments);
    if (!path) throw new PreviewFileNotFoundError();
    return { path, versionId, live: request.versionId === undefined };
  }

  /**
   * The version's output folder, when the version exists for this project: the one lookup of which
   * files a version has, for its own URL and the project's stable one alike (VersionsService.findArtifact);
   * `410 version_expired` when retention removed its files (ADR 039).
   */
  private async outputDirectory(projectId: string, versionId: string): Promise<string | undefined> {
    const version = await this.versions.findArtifact(this.dataSource.manager, projectId, versionId);
    if (!version) return undefined;
    if (version.expiredAt) throw new VersionExpiredError(versionId);
    const projectDirectory = this.directories.projectDirectory(version.userId, projectId);
    const outputDirectory = resolve(projectDirectory, version.artifactPath);
    return isStrictlyInside(join(projectDirectory, 'builds'), outputDirectory) ? outputDirectory : undefined;
  }

  /**
   * The requested file's real path, or undefined when it is missing or lies outside the output
   * folder. The folder itself must be where it looks: no symlink between PROJECTS_ROOT and it
   * (a builder could replace its own output folder by a link to `/`).
   */
  private async realFileInside(outputDirectory: string, segments: readonly string[]): Promise<string | undefined> {
    const root = this.workspaceConfig.projectsRoot;
    const [realRoot, realOutput, realFile] = await Promise.all([
      realpathOrUndefined(root),
      realpathOrUndefined(outputDirectory),
      realpathOrUndefined(resolve(outputDirectory, ...segments)),
    ]);
    if (!realRoot || !realOutput || !realFile) return undefined;
    if (realOutput !== join(realRoot, relative(root, outputDirectory))) return undefined;
    return isStrictlyInside(realOutput, realFile) ? realFile : undefined;
  }

  /**
   * Opens without following a final symlink and without blocking (a FIFO would otherwise hold a
   * thread of libuv's pool until a writer came), then checks the open descriptor: only a regular
   * file with a single link is served. A device, socket or FIFO is not a file; a hard link may
   * name a file outside the output folder, which no path check can see.
   */
  async open({ path }: PreviewTarget, range: string | undefined): Promise<PreviewFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      throw new PreviewFileNotFoundError();
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile() || stats.nlink !== 1) throw new PreviewFileNotFoundError();
      const contentType = contentTypeOf(path);
      const part = range === undefined ? undefined : singleRange(range, stats.size);
      if (!part) return { stream: handle.createReadStream(), contentType, length: stats.size };
      const { start, end } = part;
      return {
        stream: handle.createReadStream({ start, end }),
        contentType,
        length: end - start + 1,
        range: { start, end, size: stats.size },
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

/**
 * A `Range` header as RFC 9110 (14.1.2) writes byte ranges: `bytes=0-99`, `bytes=100-`, `bytes=-100`,
 * or a list. range-parser checks neither the unit nor the syntax and calls a malformed range
 * unsatisfiable, so without this a header such as `bytes=abc` would be a 416 instead of ignored.
 */
const BYTE_RANGES = /^bytes=(?:\d+-\d*|-\d+)(?:[ \t]*,[ \t]*(?:\d+-\d*|-\d+))*$/;

/**
 * The one byte range a `Range` header asks for, or undefined to send the whole file: a header that
 * is not a byte range is ignored (RFC 9110, 14.2), as are several ranges (a multipart answer buys a
 * preview nothing). A range that starts past the end is a 416.
 */
function singleRange(header: string, size: number): { start: number; end: number } | undefined {
  if (!BYTE_RANGES.test(header)) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) throw new PreviewRangeNotSatisfiableError(size);
  if (ranges === -2 || ranges.length !== 1) return undefined;
  return ranges[0];
}

function isStrictlyInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}
