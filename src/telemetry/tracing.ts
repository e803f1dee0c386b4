import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export const SERVICE_NAME = 'sheen-worker-service';

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: spans go to `${endpoint}/v1/traces` as OTLP/HTTP with JSON encoding. */
  otlpEndpoint?: string;
  /** An exporter of the caller's, each span handed over as it ends (tests read spans from memory). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Exports what is still buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK as this process's global tracer provider, with W3C trace-context
 * propagation and async-local context. Without an endpoint or exporter spans are still made, so
 * trace ids reach the logs and the build jobs, but they record nothing (ADR 031): nobody would
 * receive what they recorded, and recording cost a create about a tenth of its CPU.
 */
export function startTracing(options: TracingOptions): Tracing {
  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) }));
  }
  if (options.exporter) spanProcessors.push(new SimpleSpanProcessor({ exporter: options.exporter }));

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME }),
    spanProcessors,
    ...(spanProcessors.length === 0 && { sampler: new AlwaysOffSampler() }),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
