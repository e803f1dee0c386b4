import { trace } from '@opentelemetry/api';
import { pino, stdTimeFunctions } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { currentLogFields } from './log-fields';
import type { LogLevel } from './logging.config';

/**
 * The process's pino logger: one JSON line per event, ISO time, the level as a word, and on every
 * line the fields of the current scope (see log-fields.ts) and, inside a trace, its trace and span
 * ids.
 */
export function createAppLogger(level: LogLevel, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const span = trace.getActiveSpan()?.spanContext();
        return { ...currentLogFields(), ...(span && { trace_id: span.traceId, span_id: span.spanId }) };
      },
    },
    destination,
  );
}
