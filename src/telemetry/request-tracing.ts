import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { REQUEST_SPAN, startSpan } from './spans';

/**
 * Gives every HTTP request a server span, a child of the caller's W3C `traceparent` when it sends
 * one, active for the rest of the request (across its body: see keepRequestContextAcrossBody).
 */
export function traceRequests(fastify: FastifyInstance): void {
  const requests = new WeakMap<FastifyRequest, Span>();

  fastify.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? request.url.split('?')[0];
    const span = startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      },
      parent,
    );
    const active = trace.setSpan(parent, span).setValue(REQUEST_SPAN, span);
    requests.set(request, span);
    context.with(active, done);
  });

  const end = (request: FastifyRequest, statusCode: number | undefined): void => {
    const span = requests.get(request);
    if (!span) return;
    requests.delete(request);
    if (statusCode !== undefined) span.setAttribute('http.response.status_code', statusCode);
    if (statusCode === undefined || statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}
