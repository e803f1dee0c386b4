import { DomainError } from '../errors/domain-error';
import { RequestValidationError } from '../http/request-validation.error';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';

export class InsufficientAiTimeError extends DomainError {
  readonly code = 'insufficient_ai_time';

  constructor(secondsRemaining: number) {
    super(
      'Insufficient AI time',
      `The AI-time balance is ${secondsRemaining} s; a build needs a positive balance. Add a grant first.`,
    );
  }
}

/** A grant that would take the balance past what the `integer` column holds: a 400 on `seconds`. */
export class BalanceLimitExceededError extends RequestValidationError {
  constructor(secondsRemaining: number, seconds: number) {
    super([
      {
        field: 'seconds',
        message: `the balance is ${secondsRemaining} s; adding ${seconds} s would exceed the maximum of ${MAX_BALANCE_SECONDS} s`,
      },
    ]);
  }
}
