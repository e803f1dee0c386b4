import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../ids/ids';

/** The part of a preview URL this service reads: `/preview/<projectId>/<the rest>`. */
const PREVIEW_URL = /^\/preview\/([^/?#]+)\/([^?#]*)/;
const MAX_SEGMENTS = 32;

/** What a preview URL asks for. */
export interface PreviewRequest {
  projectId: string;
  /** The version the URL names; absent on the project's stable URL, which serves its current version. */
  versionId?: string;
  /** The file's path inside the version's output folder, decoded, one segment each. */
  segments: string[];
}

/**
 * The project, the version and the file path of a preview URL, or undefined when any part is not
 * acceptable. `/preview/<projectId>/<versionId>/<path>` names a version; a second segment that is
 * not a ULID starts a path in the project's current version (`/preview/<projectId>/<path>`), so a
 * top-level file or folder of an output named like a ULID is reachable only at its version's URL
 * (ADR 036). UUIDs and ULIDs (Crockford base32) are case-insensitive, so the ids are brought to the
 * case they are stored in. The path is split on the raw `/` before decoding, so `%2f` can never
 * add a level; a trailing `/` means that folder's `index.html`.
 */
export function parsePreviewRequest(url: string): PreviewRequest | undefined {
  const match = PREVIEW_URL.exec(url);
  if (!match) return undefined;
  const [, rawProjectId, rawPath] = match;
  const projectId = rawProjectId.toLowerCase();
  if (!LOWER_CASE_UUID_PATTERN.test(projectId)) return undefined;
  const rawSegments = rawPath.split('/');
  const first = decodeSegment(rawSegments[0])?.toUpperCase();
  const versionId = first !== undefined && ULID_PATTERN.test(first) ? first : undefined;
  if (versionId !== undefined) rawSegments.shift();
  // A version's URL without a path (no `/` after the version) names no file.
  if (rawSegments.length === 0 || rawSegments.length > MAX_SEGMENTS) return undefined;
  if (rawSegments[rawSegments.length - 1] === '') rawSegments[rawSegments.length - 1] = 'index.html';
  const segments: string[] = [];
  for (const raw of rawSegments) {
    const segment = decodeSegment(raw);
    if (segment === undefined) return undefined;
    segments.push(segment);
  }
  return { projectId, ...(versionId !== undefined && { versionId }), segments };
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
