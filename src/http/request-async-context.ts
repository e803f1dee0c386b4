import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Carries a request's async-local state (its trace context, its logger with the ids assigned to
 * it) across the reading of its body. The body arrives on socket events, which run in the context
 * of the connection, not of the request (fastify/fastify#3570): without this, a POST handler would
 * see neither. The context is captured once every `onRequest` hook has run and is entered again
 * right before the handler.
 */
export function keepRequestContextAcrossBody(fastify: FastifyInstance): void {
  const captured = new WeakMap<FastifyRequest, <R>(fn: () => R) => R>();
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    captured.set(request, AsyncLocalStorage.snapshot());
    done(null, payload);
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const restore = captured.get(request);
    captured.delete(request);
    if (restore) restore(done);
    else done();
  });
}
