import { DomainError } from '../errors/domain-error';

export class InsufficientAiTimeError extends DomainError {
  readonly code = 'insufficient_ai_time';

  constructor(secondsRemaining: number) {
    super(
      'Insufficient AI time',
      `The AI-time balance is ${secondsRemaining} s; a build needs a positive balance. Add a grant first.`,
    );
  }
}
