import type { PostgresWireCounter, WireCounts } from '../test/support/postgres-wire-counter';
import type { WalMeter, WalPerCreate } from './wal-meter';

/** Creates before counting starts: new pool connections and first-use queries are not the create's. */
const WARM_UP_CREATES = 20;

/** Per create: over every connection of the path, and over its transactions' pool alone. */
export interface PerCreate {
  all: WireCounts;
  /** The connections of `transactionPool` (the service's: its request waits for these); else all. */
  transactions: WireCounts;
  /** The write-ahead log a create's transaction wrote. */
  wal: WalPerCreate;
}

/**
 * Round trips and statements per create on `counter`'s connections, and the WAL of a create's
 * transaction: `creates` creates one after another, then an idle period as long, whose counts
 * (pg-boss's and the pools' own traffic) are taken off before dividing. That background comes
 * every second or two, so what is left of it moves the result by about a hundredth: it is rounded
 * to a tenth.
 */
export async function countPerCreate(
  counter: PostgresWireCounter,
  wal: WalMeter,
  creates: number,
  create: () => Promise<unknown>,
  transactionPool?: string,
): Promise<PerCreate> {
  for (let sent = 0; sent < WARM_UP_CREATES; sent++) await create();
  counter.reset();
  const startedAt = performance.now();
  const busyFrom = await wal.position();
  for (let sent = 0; sent < creates; sent++) await create();
  const busyTo = await wal.position();
  const busy = { all: counter.counts(), transactions: counter.counts(transactionPool) };
  const busyMs = performance.now() - startedAt;
  counter.reset();
  await new Promise((wait) => setTimeout(wait, busyMs));
  const idle = { all: counter.counts(), transactions: counter.counts(transactionPool) };
  const perCreate = (during: WireCounts, idleToo: WireCounts): WireCounts => ({
    roundTrips: toTenth((during.roundTrips - idleToo.roundTrips) / creates),
    statements: toTenth((during.statements - idleToo.statements) / creates),
  });
  const { records, ...bytes } = await wal.perCreate(busyFrom, busyTo);
  return {
    all: perCreate(busy.all, idle.all),
    transactions: perCreate(busy.transactions, idle.transactions),
    wal: { records: toTenth(records), ...bytes },
  };
}

function toTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
