import { DomainError } from '../errors/domain-error';

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  override readonly retryAfterSeconds: number;

  /** `msBeforeNext`: the limiter's time until the user's window ends; Retry-After is at least 1 s. */
  constructor(perMinute: number, msBeforeNext: number) {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    super('Too many requests', `At most ${perMinute} creates and updates per user per minute; retry in ${seconds} s.`);
    this.retryAfterSeconds = seconds;
  }
}
