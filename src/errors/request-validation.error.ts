import { DomainError } from './domain-error';

export interface FieldError {
  /** Dotted path of the offending field; empty for the body as a whole. */
  field: string;
  message: string;
}

/**
 * The field errors an answer lists. A body may name a hundred thousand fields it should not have:
 * listing each would make the answer ten times the request, so the rest are only counted.
 */
export const LISTED_FIELD_ERRORS = 20;

export class RequestValidationError extends DomainError {
  readonly code = 'validation_failed';
  readonly errors: FieldError[];

  constructor(errors: FieldError[]) {
    const listed = errors.slice(0, LISTED_FIELD_ERRORS);
    const unlisted = errors.length - listed.length;
    const messages = listed.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
    super('Invalid request', [...messages, ...(unlisted > 0 ? [`and ${unlisted} more`] : [])].join('; '));
    this.errors = listed;
  }
}
