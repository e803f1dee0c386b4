/**
 * The validator of a file served at a project's stable URL: the version it comes from. A version's
 * files never change, so one version's bytes at one URL are always the same, and a rollback or a
 * new build changes the tag with the bytes (a strong tag: ranges may be resumed under it).
 */
export function versionEntityTag(versionId: string): string {
  return `"${versionId}"`;
}

/**
 * Whether `If-None-Match` names the tag (weak comparison, RFC 9110 13.1.2): the cache's copy is
 * still what would be sent, and `304` tells it so.
 */
export function noneMatchFails(ifNoneMatch: string | undefined, entityTag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const listed = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return listed.includes('*') || listed.includes(entityTag);
}

/**
 * Whether a `Range` may be served (RFC 9110 13.1.5): without `If-Range`, or when it names the tag
 * exactly. Otherwise the caller holds part of another version, and must get the whole file.
 */
export function rangeStillApplies(ifRange: string | undefined, entityTag: string): boolean {
  return ifRange === undefined || ifRange.trim() === entityTag;
}
