import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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

/** A counter of the service's, in `registry`. */
export function counter<Label extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly Label[] = [],
): Counter<Label> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** A histogram of the service's, in `registry`, with its buckets. */
export function histogram<Label extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly Label[] = [],
): Histogram<Label> {
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}
