import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line of the current request or build attempt carries (`project_id`, ...). */
export type LogFields = Record<string, string | number | boolean | undefined>;

const scope = new AsyncLocalStorage<LogFields>();

/** Runs `work` in a scope of its own whose lines carry `fields`, and whatever addLogFields adds. */
export function runWithLogFields<T>(fields: LogFields, work: () => T): T {
  return scope.run({ ...fields }, work);
}

/** Adds fields to the current scope, for the lines still to come; does nothing outside a scope. */
export function addLogFields(fields: LogFields): void {
  const current = scope.getStore();
  if (current) Object.assign(current, fields);
}

export function currentLogFields(): LogFields | undefined {
  return scope.getStore();
}
