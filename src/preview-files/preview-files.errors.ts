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

/** A `Range` wholly outside the file (RFC 9110, 15.5.17); `Content-Range` gives the file's size. */
export class PreviewRangeNotSatisfiableError extends DomainError {
  readonly code = 'range_not_satisfiable';

  constructor(readonly size: number) {
    super('Range not satisfiable', `The file is ${size} bytes long; no byte of the requested range is in it.`);
  }
}
