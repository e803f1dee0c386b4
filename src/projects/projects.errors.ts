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
