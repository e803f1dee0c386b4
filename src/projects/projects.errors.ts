import { DomainError } from '../errors/domain-error';

export class ProjectIdConflictError extends DomainError {
  readonly code = 'project_id_conflict';

  constructor(projectId: string) {
    super(
      'Project id already in use',
      `A project with id ${projectId} already exists. Omit projectId and let the server choose one.`,
    );
  }
}

/** The project does not exist or belongs to another user: the same 404, so ids cannot be probed. */
export class ProjectNotFoundError extends DomainError {
  readonly code = 'project_not_found';

  constructor(projectId: string) {
    super('Project not found', `No project ${projectId} belongs to this user.`);
  }
}
