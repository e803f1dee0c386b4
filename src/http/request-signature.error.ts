import { DomainError } from '../errors/domain-error';
import { MAX_CLOCK_SKEW_SECONDS, SIGNATURE_HEADER, SignatureFailure, TIMESTAMP_HEADER } from './request-signature';

const DETAILS: Record<SignatureFailure, string> = {
  missing_headers: `The ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} headers are required.`,
  malformed_timestamp: `${TIMESTAMP_HEADER} must be Unix time in seconds.`,
  malformed_signature: `${SIGNATURE_HEADER} must be v1= or v2= followed by 64 lowercase hex digits.`,
  stale_timestamp: `${TIMESTAMP_HEADER} is more than ${MAX_CLOCK_SKEW_SECONDS} s from the server clock.`,
  mismatch: 'The signature does not match this request.',
};

/** A /v1 request without a valid signature (docs/contract.md, "Authentication"). */
export class InvalidSignatureError extends DomainError {
  readonly code = 'unauthorized';

  constructor(readonly failure: SignatureFailure) {
    super('Unauthorized', DETAILS[failure]);
  }
}

/**
 * A signed write whose signature was spent by an earlier request and that is not a duplicate the
 * service answers (ADR 030): a captured request sent again, or resent under another Idempotency-Key.
 */
export class SignatureReplayedError extends DomainError {
  readonly code = 'signature_replayed';

  constructor() {
    super(
      'Signature already used',
      'This signature was already used by an earlier request. Sign every request anew; resend with the same Idempotency-Key to get its answer again.',
    );
  }
}
