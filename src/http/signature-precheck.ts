import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidSignatureError } from './request-signature.error';
import { checkSignatureHeaders, isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './request-signature';
import { SignatureConfig } from './signature.config';

/**
 * Checks what needs no body (both headers present, well-formed and fresh) as soon as a /v1 request
 * arrives, before its body is read or parsed: an unsigned caller gets 401 whatever it sends, never
 * a 400, 413 or 415 that would tell it about our parsing. SignatureGuard then checks the MAC over
 * the parsed request's raw bytes.
 */
export function registerSignaturePrecheck(fastify: FastifyInstance, config: SignatureConfig): void {
  if (config.secrets.length === 0) return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!isSignedRoute(request.routeOptions.url)) return done();
    done(signatureHeaderFailure(request, config));
  });
}

/**
 * Why a request to a signed route must be refused before anything else is looked at (both headers
 * present, well-formed and fresh), or undefined. The MAC over the body is SignatureGuard's.
 */
export function signatureHeaderFailure(
  request: Pick<FastifyRequest, 'headers'>,
  config: SignatureConfig,
): InvalidSignatureError | undefined {
  if (config.secrets.length === 0) return undefined;
  const checked = checkSignatureHeaders(
    {
      timestamp: request.headers[TIMESTAMP_HEADER.toLowerCase()],
      signature: request.headers[SIGNATURE_HEADER.toLowerCase()],
    },
    Date.now() / 1000,
  );
  return checked.valid ? undefined : new InvalidSignatureError(checked.failure);
}
