import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * This process's one registry: what `GET /metrics` serves. The process defaults (CPU, memory,
 * event loop lag, GC) keep their standard unprefixed names, so stock dashboards read them; the
 * service's own metrics are named `sheen_*`.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
