import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestScope } from '../http/request-scope';
import { REQUEST_SPAN, startSpan } from './spans';

/** A request's span, and the context its handler runs in (see runHandlersInScopes). */
export interface RequestTracing {
  readonly scope: RequestScope;
  /** The trace id of the request's span from its `onRequest` hook until its `onResponse` hook; none without a tracer. */
  readonly traceId: (request: FastifyRequest) => string | undefined;
}

/**
 * Gives every HTTP request a server span, a child of the caller's W3C `traceparent` when it sends
 * one, active while its handler runs.
 */
export function traceRequests(fastify: FastifyInstance): RequestTracing {
  const requests = new WeakMap<FastifyRequest, { span: Span; active: Context }>();

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
    requests.set(request, { span, active: trace.setSpan(parent, span).setValue(REQUEST_SPAN, span) });
    done();
  });

  const end = (request: FastifyRequest, statusCode: number | undefined): void => {
    const span = requests.get(request)?.span;
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

  return {
    scope: (request, work) => {
      const active = requests.get(request)?.active;
      return active ? context.with(active, work) : work();
    },
    traceId: (request) => {
      const spanContext = requests.get(request)?.span.spanContext();
      return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
    },
  };
}
