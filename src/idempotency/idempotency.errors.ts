import { DomainError } from '../errors/domain-error';

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';

  constructor() {
    super(
      'Idempotency key reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
    );
  }
}
