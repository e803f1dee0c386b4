import { DomainError } from '../errors/domain-error';

/**
 * No succeeded build of this project made the version: unknown, another project's (and so another
 * user's), or the version id a failed build never made. One 404 for all, so ids cannot be probed.
 */
export class VersionNotFoundError extends DomainError {
  readonly code = 'version_not_found';

  constructor(versionId: string) {
    super('Version not found', `No successful build of this project made version ${versionId}.`);
  }
}

/**
 * The version existed, but retention removed its files (ADR 039): it can be neither served nor made
 * current again. Its own answer, so a caller can tell it from a version that never was.
 */
export class VersionExpiredError extends DomainError {
  readonly code = 'version_expired';

  constructor(versionId: string) {
    super(
      'Version expired',
      `The files of version ${versionId} were removed: only the newest versions of a project are kept.`,
    );
  }
}
