/**
 * Loaded before the application (`node --import ./dist/src/telemetry.js …`), so the global tracer
 * provider exists before any module that traces is loaded. main.ts flushes it on the way out.
 */
import { startTracing } from './telemetry/tracing';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();

export const tracing = startTracing({ otlpEndpoint: endpoint || undefined });
