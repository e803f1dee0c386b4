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
