import { DomainError } from '../errors/domain-error';

/** The build does not exist or belongs to another user: the same 404, so ids cannot be probed. */
export class BuildNotFoundError extends DomainError {
  readonly code = 'build_not_found';

  constructor(buildId: string) {
    super('Build not found', `No build ${buildId} belongs to this user.`);
  }
}
