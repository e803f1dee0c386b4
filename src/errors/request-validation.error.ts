import { DomainError } from './domain-error';

export interface FieldError {
  /** Dotted path of the offending field; empty for the body as a whole. */
  field: string;
  message: string;
}

export class RequestValidationError extends DomainError {
  readonly code = 'validation_failed';

  constructor(readonly errors: FieldError[]) {
    super('Invalid request', errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '));
  }
}
