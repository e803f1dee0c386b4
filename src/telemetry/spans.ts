import { context, createContextKey, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, SpanOptions } from '@opentelemetry/api';
import { SERVICE_NAME } from './tracing';

/** The same tracer before and after startTracing: the API hands out a proxy until a provider is set. */
const tracer = trace.getTracer(SERVICE_NAME);

/** Where the request's own span is kept in the context, so code deep inside can annotate it. */
export const REQUEST_SPAN = createContextKey('sheen.request-span');

/**
 * Runs `work` in a child span of the active one. A thrown error is recorded on the span and marks
 * it failed, then rethrown unchanged.
 */
export function inSpan<T>(name: string, work: (span: Span) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Starts a span that the caller ends (for spans that outlive one function, like a request's). */
export function startSpan(name: string, options: SpanOptions, parent = context.active()): Span {
  return tracer.startSpan(name, options, parent);
}

/**
 * Puts the ids of what a request created or changed on its request span and on the span now active,
 * so a trace can be found from any of them.
 */
export function annotateRequest(attributes: Attributes): void {
  const active = context.active();
  (active.getValue(REQUEST_SPAN) as Span | undefined)?.setAttributes(attributes);
  trace.getSpan(active)?.setAttributes(attributes);
}
