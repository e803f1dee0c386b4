import { DomainError } from '../errors/domain-error';
import { RequestValidationError } from '../errors/request-validation.error';
import { MAX_BALANCE_SECONDS } from './ai-time-policy';

export class InsufficientAiTimeError extends DomainError {
  readonly code = 'insufficient_ai_time';

  /** `secondsAvailable`: the balance less what the user's queued and running builds reserved. */
  constructor(secondsAvailable: number, secondsNeeded: number) {
    super(
      'Insufficient AI time',
      `${secondsAvailable} s of AI time are available (the balance less what queued and running builds reserved); ` +
        `a build reserves ${secondsNeeded} s. Add a grant first, or wait for a build to end.`,
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
