import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { SignatureToSpend } from './spent-signatures.service';

/** The verified signature of each request in flight on a route that spends its own, by request. */
const UNSPENT = new WeakMap<object, SignatureToSpend>();

/** Hands `request`'s verified signature to its handler (SignatureGuard, @SpendsItsOwnSignature routes). */
export function handOverSignature(request: object, signature: SignatureToSpend): void {
  UNSPENT.set(request, signature);
}

/** The request's verified signature, for the handler to spend; undefined when requests are not signed. */
export const UnspentSignature = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SignatureToSpend | undefined =>
    UNSPENT.get(context.switchToHttp().getRequest<object>()),
);
