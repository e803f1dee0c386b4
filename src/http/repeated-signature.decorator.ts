import { SetMetadata } from '@nestjs/common';

export const ANSWERS_REPEATED_SIGNATURES = 'sheen:answers-repeated-signatures';
export const SPENDS_ITS_OWN_SIGNATURE = 'sheen:spends-its-own-signature';

/**
 * Marks a route whose repeats the contract (docs/contract.md) answers without a second effect (ADR 030): it takes an
 * Idempotency-Key and stores its answer under it together with its effect, so SignatureGuard lets
 * through a repeat under the same key. Any other repeat is 401.
 */
export const AnswersRepeatedSignatures = (): MethodDecorator => SetMetadata(ANSWERS_REPEATED_SIGNATURES, true);

/**
 * Marks a route whose write spends its request's signature in its own statement (ADR 031), under
 * its own rule for repeats, so SignatureGuard does not: it hands the signature to the handler
 * (@UnspentSignature()), and a refused write gives it back by rolling back.
 */
export const SpendsItsOwnSignature = (): MethodDecorator => SetMetadata(SPENDS_ITS_OWN_SIGNATURE, true);
