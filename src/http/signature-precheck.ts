import type { FastifyInstance } from 'fastify';
import { signatureHeaderFailure } from './framework-errors';
import { isSignedRoute } from './request-signature';
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
