import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { VersionsService } from '../versions/versions.service';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../ids/ids';
import { WorkspaceConfig } from '../workspace/workspace.config';
import { WorkspaceService } from '../workspace/workspace.service';
import { contentTypeOf } from './preview-content-types';
import { PreviewFileNotFoundError } from './preview-files.errors';

/** The part of a preview URL this service reads: `/preview/<projectId>/<versionId>/<path>`. */
const PREVIEW_URL = /^\/preview\/([^/?#]+)\/([^/?#]+)\/([^?#]*)/;
const MAX_SEGMENTS = 32;

export interface PreviewFile {
  stream: Readable;
  contentType: string;
  length: number;
}

/**
 * Serves the files of a succeeded build's output folder, read-only. Owns no table: the versions
 * module says where a version's files are.
 *
 * Every request path is checked twice: as text (each segment decoded once, and no `..`, dot-file,
 * slash, backslash or NUL left after decoding), then on disk (the file's real path, symlinks
 * resolved, must lie inside the output folder's real path). Any failure is the same 404.
 */
@Injectable()
export class PreviewFilesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly versions: VersionsService,
    private readonly workspace: WorkspaceService,
    private readonly workspaceConfig: WorkspaceConfig,
  ) {}

  /** `url` is the request target as received (not decoded, query included). */
  async open(url: string): Promise<PreviewFile> {
    const request = parsePreviewUrl(url);
    if (!request) throw new PreviewFileNotFoundError();
    const outputDirectory = await this.outputDirectory(request.projectId, request.versionId);
    if (!outputDirectory) throw new PreviewFileNotFoundError();
    const file = await this.realFileInside(outputDirectory, request.segments);
    if (!file) throw new PreviewFileNotFoundError();
    return this.openFile(file);
  }

  /** The version's output folder, when the version exists for this project: only succeeded builds have one. */
  private async outputDirectory(projectId: string, versionId: string): Promise<string | undefined> {
    const version = await this.versions.findArtifact(this.dataSource.manager, projectId, versionId);
    if (!version) return undefined;
    const projectDirectory = this.workspace.projectDirectory(version.userId, projectId);
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

  /** O_NOFOLLOW and fstat on the open descriptor: what is streamed is the regular file just checked. */
  private async openFile(path: string): Promise<PreviewFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      throw new PreviewFileNotFoundError();
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new PreviewFileNotFoundError();
      return { stream: handle.createReadStream(), contentType: contentTypeOf(path), length: stats.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

/**
 * The ids and the file path of a preview URL, or undefined when any part is not acceptable. UUIDs
 * and ULIDs (Crockford base32) are case-insensitive, so the ids are brought to the case they are
 * stored in: every spelling of a version serves it. The path is split on the raw `/` before
 * decoding, so `%2f` can never add a level; a trailing `/` means that folder's `index.html`.
 */
export function parsePreviewUrl(url: string): { projectId: string; versionId: string; segments: string[] } | undefined {
  const match = PREVIEW_URL.exec(url);
  if (!match) return undefined;
  const [, rawProjectId, rawVersionId, rawPath] = match;
  const projectId = rawProjectId.toLowerCase();
  const versionId = rawVersionId.toUpperCase();
  if (!LOWER_CASE_UUID_PATTERN.test(projectId) || !ULID_PATTERN.test(versionId)) return undefined;
  const rawSegments = rawPath.split('/');
  if (rawSegments.length > MAX_SEGMENTS) return undefined;
  if (rawSegments[rawSegments.length - 1] === '') rawSegments[rawSegments.length - 1] = 'index.html';
  const segments: string[] = [];
  for (const raw of rawSegments) {
    const segment = decodeSegment(raw);
    if (segment === undefined) return undefined;
    segments.push(segment);
  }
  return { projectId, versionId, segments };
}

/** One decoded path segment; no empty, dot-led (`.`, `..`, dot-files), slash, backslash or NUL segment passes. */
function decodeSegment(raw: string): string | undefined {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
  return segment;
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
