import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Runs `work` inside what one of a request's hooks prepared for it (its trace context, its log fields). */
export type RequestScope = <R>(request: FastifyRequest, work: () => R) => R;

/**
 * Runs every request's handler inside the scopes its `onRequest` hooks prepared, entered once,
 * right before the handler, and outermost first. Not in the hooks themselves: the body arrives on
 * socket events, which run in the connection's async context, not the request's
 * (fastify/fastify#3570), so a scope entered in `onRequest` would have to be captured and entered
 * again; and each entry of an async-local scope costs a create CPU time (ADR 025).
 */
export function runHandlersInScopes(fastify: FastifyInstance, scopes: readonly RequestScope[]): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    const enter = scopes.reduceRight<() => void>(
      (inner, scope) => () => scope(request, inner),
      () => done(),
    );
    enter();
  });
}
