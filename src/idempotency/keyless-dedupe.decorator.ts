import { SetMetadata } from '@nestjs/common';

export const KEYLESS_DEDUPE = 'sheen:keyless-dedupe';

/**
 * Marks a route that answers an identical request without an Idempotency-Key inside the dedupe
 * window with the first one's answer (the create): a repeat of its signature inside that window is
 * such a double-click, and SignatureGuard lets it through to be deduplicated (ADR 030).
 */
export const KeylessDedupe = (): MethodDecorator => SetMetadata(KEYLESS_DEDUPE, true);
