import type { PostgresWireCounter, WireCounts } from '../test/support/postgres-wire-counter';

/** Creates before counting starts: new pool connections and first-use queries are not the create's. */
const WARM_UP_CREATES = 20;

/**
 * Round trips and statements per create on `counter`'s connections: `creates` creates one after
 * another, then an idle period as long, whose counts (pg-boss's and the pools' own traffic) are
 * taken off before dividing. That background comes every second or two, so what is left of it
 * moves the result by about a hundredth: it is rounded to a tenth.
 */
export async function countPerCreate(
  counter: PostgresWireCounter,
  creates: number,
  create: () => Promise<unknown>,
): Promise<WireCounts> {
  for (let sent = 0; sent < WARM_UP_CREATES; sent++) await create();
  counter.reset();
  const startedAt = performance.now();
  for (let sent = 0; sent < creates; sent++) await create();
  const busy = counter.counts();
  const busyMs = performance.now() - startedAt;
  counter.reset();
  await new Promise((wait) => setTimeout(wait, busyMs));
  const idle = counter.counts();
  return {
    roundTrips: toTenth((busy.roundTrips - idle.roundTrips) / creates),
    statements: toTenth((busy.statements - idle.statements) / creates),
  };
}

function toTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
