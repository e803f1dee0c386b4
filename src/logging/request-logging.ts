import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestScope } from '../http/request-scope';
import { LogFields, runWithLogFields } from './log-fields';

/** An incoming `X-Request-Id` is kept when it is short printable ASCII; otherwise one is made. */
const CALLER_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const UNLOGGED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Gives every request an id (echoed as `X-Request-Id`) and a log scope (the returned RequestScope,
 * see runHandlersInScopes), so every line logged while handling it carries `req_id` and the ids the
 * handling adds (`project_id`, ...), and writes one line when it completes: method, path, status,
 * time, its trace id (from `traceIdOf`, read in `onRequest`), and those fields. Never headers (they
 * carry signatures) or bodies (they carry prompts).
 */
export function logRequests(
  fastify: FastifyInstance,
  logger: Logger,
  traceIdOf: (request: FastifyRequest) => string | undefined,
): RequestScope {
  const scopes = new WeakMap<FastifyRequest, { fields: LogFields; traceId?: string }>();

  fastify.addHook('onRequest', (request, reply, done) => {
    const given = request.headers['x-request-id'];
    const id = typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
    void reply.header('x-request-id', id);
    scopes.set(request, { fields: { req_id: id }, traceId: traceIdOf(request) });
    done();
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const scope = scopes.get(request);
    scopes.delete(request);
    const path = request.url.split('?')[0];
    if (scope && !UNLOGGED_PATHS.has(path)) {
      const level = reply.statusCode >= 500 ? 'error' : 'info';
      logger[level](
        {
          ...scope.fields,
          ...(scope.traceId && { trace_id: scope.traceId }),
          method: request.method,
          path,
          status: reply.statusCode,
          response_time_ms: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });

  return (request, work) => {
    const fields = scopes.get(request)?.fields;
    return fields ? runWithLogFields(fields, work) : work();
  };
}
