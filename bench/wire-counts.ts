import type { PostgresWireCounter, WireCounts } from '../test/support/postgres-wire-counter';
import type { WalMeter, WalWritten } from './wal-meter';

/** Creates before counting starts: new pool connections and first-use queries are not the create's. */
const WARM_UP_CREATES = 20;

/** Per create: over every connection of the path, and over its transactions' pool alone. */
export interface PerCreate {
  all: WireCounts;
  /** The connections of `transactionPool` (the service's: its request waits for these); else all. */
  transactions: WireCounts;
  /** The write-ahead log the server wrote, whoever's connection it came from. */
  wal: WalWritten;
}

/**
 * Round trips and statements per create on `counter`'s connections, and the WAL the server wrote
 * meanwhile: `creates` creates one after another, then an idle period as long, whose counts
 * (pg-boss's and the pools' own traffic, the server's background writes) are taken off before
 * dividing. That background comes every second or two, so what is left of it moves the wire counts
 * by about a hundredth: they are rounded to a tenth.
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
  const idleTo = await wal.position();
  const idle = { all: counter.counts(), transactions: counter.counts(transactionPool) };
  const perCreate = (during: WireCounts, idleToo: WireCounts): WireCounts => ({
    roundTrips: toTenth((during.roundTrips - idleToo.roundTrips) / creates),
    statements: toTenth((during.statements - idleToo.statements) / creates),
  });
  const [walBusy, walIdle] = [await wal.between(busyFrom, busyTo), await wal.between(busyTo, idleTo)];
  return {
    all: perCreate(busy.all, idle.all),
    transactions: perCreate(busy.transactions, idle.transactions),
    wal: {
      records: toTenth((walBusy.records - walIdle.records) / creates),
      recordBytes: Math.round((walBusy.recordBytes - walIdle.recordBytes) / creates),
      fullPageBytes: Math.round((walBusy.fullPageBytes - walIdle.fullPageBytes) / creates),
    },
  };
}

function toTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
