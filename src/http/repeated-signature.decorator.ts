import { SetMetadata } from '@nestjs/common';

export const ANSWERS_REPEATED_SIGNATURES = 'sheen:answers-repeated-signatures';

/** Which repeats of a spent signature a route answers (ADR 030); a route without this answers none. */
export interface RepeatsAnswered {
  /**
   * Without an Idempotency-Key, inside the dedupe window: the route answers an identical request
   * with the first one's answer (the create), so such a repeat is a double-click.
   */
  readonly keylessInsideDedupeWindow?: boolean;
}

/**
 * Marks a route whose repeats the contract answers without a second effect: it takes an
 * Idempotency-Key and stores its answer under it together with its effect, so SignatureGuard lets
 * through a repeat under the same key; where said, also a keyless one inside the dedupe window.
 * Any other repeat is 401.
 */
export const AnswersRepeatedSignatures = (answered: RepeatsAnswered = {}): MethodDecorator =>
  SetMetadata(ANSWERS_REPEATED_SIGNATURES, answered);
