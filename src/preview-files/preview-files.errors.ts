import { DomainError } from '../errors/domain-error';

/**
 * One answer for every refusal (unknown or failed version, another project's version, a missing
 * file, a path that tries to leave the output folder): nothing tells a caller which one it was.
 */
export class PreviewFileNotFoundError extends DomainError {
  readonly code = 'not_found';

  constructor() {
    super('Not found', 'No such preview file.');
  }
}

/**
 * A version whose files retention removed (ADR 039): it existed, so the answer says so, and a caller
 * can tell it from a typo. Only the project's versions answer this; every other refusal is the 404.
 */
export class PreviewVersionExpiredError extends DomainError {
  readonly code = 'version_expired';

  constructor() {
    super('Version expired', "This version's files were removed: only the newest versions of a project are kept.");
  }
}

/** A `Range` wholly outside the file (RFC 9110, 15.5.17); `Content-Range` gives the file's size. */
export class PreviewRangeNotSatisfiableError extends DomainError {
  readonly code = 'range_not_satisfiable';

  constructor(readonly size: number) {
    super('Range not satisfiable', `The file is ${size} bytes long; no byte of the requested range is in it.`);
  }
}
