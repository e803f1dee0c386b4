import { cpus, loadavg, totalmem } from 'node:os';
import type { WireCounts } from '../test/support/postgres-wire-counter';
import type { PerCreate } from './wire-counts';
import type { DatabaseMeasured, Measured, ServerMeasured } from './measurements';
import type { StormResult } from './storm';
import type { BuildThroughput, Pickup } from './worker-throughput';

export interface LevelResult {
  connections: number;
  service: ServerMeasured;
  baseline: DatabaseMeasured;
  /** The product plan's design of a create (plan-design-server.ts). */
  planDesign: ServerMeasured;
  /** BENCH_AB_CHECKOUT's service, when it is set. */
  abService?: ServerMeasured;
}

/** Round trips and statements per create, counted on the wire, and WAL, each path one create at a time. */
export interface WirePerCreate {
  creates: number;
  service: PerCreate;
  baseline: PerCreate;
  planDesign: PerCreate;
}

export interface StormComparison {
  connections: number;
  quiet: Measured;
  stormy: Measured;
  storm: StormResult;
  /** Projects the storm user ended up with: one per burst is right. */
  projects: number;
}

/** Creates sent at a fixed rate (open loop), well below saturation. */
export interface PacedResult {
  connections: number;
  rate: number;
  service: Measured;
}

export interface Results {
  levels: LevelResult[];
  /** The other checkout whose service the levels compare with (BENCH_AB_CHECKOUT). */
  abCheckout?: string;
  wire?: WirePerCreate;
  paced?: PacedResult;
  storm?: StormComparison;
  pickup?: Pickup;
  builds?: BuildThroughput;
  warmUp?: WarmUp;
}

/** What each HTTP server's warm-up cost it: CPU ms per create in each of its rounds, first to last. */
export interface WarmUp {
  seconds: number;
  roundSeconds: number;
  connections: number;
  service: number[];
  planDesign: number[];
  abService?: number[];
}

/** The machine and the moment, for docs/benchmarks.md. */
export function describeMachine(database: string): string {
  const [cpu] = cpus();
  return [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus().length} × ${cpu?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    `database: ${database}`,
    `load average (1, 5, 15 min): ${loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')}`,
  ].join('\n');
}

/** A group of columns of the creates table, one value per level. */
interface Column {
  header: string;
  cell: (level: LevelResult) => string | number;
}

/** One markdown table of the creates and what its columns are, then one of the rest, each line with its target. */
export function formatResults({ levels, abCheckout, wire, paced, storm, pickup, builds, warmUp }: Results): string {
  const columns: Column[] = [
    { header: 'connections', cell: (level) => level.connections },
    ...servedColumns('service', (level) => level.service),
    ...measuredColumns('baseline', (level) => level.baseline),
    databaseCpuColumn((level) => level.baseline),
    { header: 'service/baseline', cell: (level) => ratio(level.service, level.baseline) },
    ...servedColumns('plan design', (level) => level.planDesign),
    { header: 'service/plan design', cell: (level) => ratio(level.service, level.planDesign) },
  ];
  if (abCheckout) {
    columns.push(...servedColumns('A/B service', (level) => level.abService!), {
      header: 'service/A-B service',
      cell: (level) => ratio(level.service, level.abService!),
    });
  }
  const lines = [
    row(columns.map((column) => column.header)),
    row(columns.map(() => '---:')),
    ...levels.map((level) => row(columns.map((column) => column.cell(level)))),
    ...errorLines(levels),
    '',
    ...legend(abCheckout),
    '',
    '| measure | result | target |',
    '| --- | --- | --- |',
  ];
  const at16 = levels.find((level) => level.connections === 16);
  if (at16) {
    const { service, baseline, planDesign } = at16;
    const ofBaseline = service.perSecond / baseline.perSecond;
    lines.push(row(['service/baseline at 16 connections', ofBaseline.toFixed(2), mark(ofBaseline >= 0.6, '≥ 0.6')]));
    lines.push(row(['service p99 at 16 connections', `${ms(service.p99)} ms`, mark(service.p99 < 50, '< 50 ms')]));
    const ofPlan = service.perSecond / planDesign.perSecond;
    lines.push(
      row([
        'service/plan design at 16 connections',
        `${ofPlan.toFixed(2)} (${rate(service.perSecond)} / ${rate(planDesign.perSecond)} creates/s)`,
        mark(ofPlan >= 0.5, '≥ 0.5'),
      ]),
    );
    const p99OfPlan = service.p99 / planDesign.p99;
    lines.push(
      row([
        'service p99 / plan design p99 at 16 connections',
        `${ms(service.p99)} / ${ms(planDesign.p99)} ms (× ${p99OfPlan.toFixed(2)})`,
        mark(p99OfPlan <= 2, '≤ 2×'),
      ]),
      row([
        'service process CPU per create at 16 connections',
        `${cpuMs(service.cpuMsPerCreate)} ms (plan design: ${cpuMs(planDesign.cpuMsPerCreate)} ms)`,
        mark(service.cpuMsPerCreate <= 0.5, '≤ 0.5 ms'),
      ]),
      row([
        'process + database server CPU per create at 16 connections',
        `service ${machineCpu(service)}, plan design ${machineCpu(planDesign)} ` +
          `(× ${(machineCpuMs(service) / machineCpuMs(planDesign)).toFixed(2)}); ` +
          `the baseline's database ${cpuMs(baseline.databaseCpuMsPerCreate)} ms`,
        '',
      ]),
    );
  }
  if (warmUp) lines.push(...warmUpRows(warmUp));
  if (wire) lines.push(...wireRows(wire));
  if (paced) {
    const { connections, rate: perSecond, service } = paced;
    lines.push(
      row([
        `service p50 / p99 at ${connections} connections, paced at ${perSecond} creates/s`,
        `${ms(service.p50)} / ${ms(service.p99)} ms (${rate(service.perSecond)} creates/s)`,
        mark(service.p99 < 50, 'p99 < 50 ms'),
      ]),
    );
  }
  const errors =
    levels.reduce((sum, level) => sum + level.service.errors, 0) +
    (paced?.service.errors ?? 0) +
    (storm ? storm.quiet.errors + storm.stormy.errors + stormErrors(storm.storm) : 0);
  lines.push(row(['service errors, all runs', errors, mark(errors === 0, '0')]));
  if (storm) {
    const { quiet, stormy, connections } = storm;
    const ratio = stormy.p99 / quiet.p99;
    lines.push(
      row([
        `other users' p99 at ${connections} connections, without / during a double-click storm`,
        `${ms(quiet.p99)} / ${ms(stormy.p99)} ms (× ${ratio.toFixed(2)}); ${rate(quiet.perSecond)} / ${rate(stormy.perSecond)} creates/s`,
        mark(ratio < 2, '< 2×'),
      ]),
    );
    const { bursts, clicks, statuses, clickP99 } = storm.storm;
    const answered = Object.entries(statuses)
      .map(([status, count]) => `${count} × ${status}`)
      .join(', ');
    lines.push(
      row([
        'the storm: one user, a burst of 200 identical clicks every second',
        `${bursts} bursts, ${clicks} clicks (${answered}; p99 ${ms(clickP99)} ms) → ${storm.projects} projects`,
        mark(storm.projects === bursts, 'one project per burst'),
      ]),
    );
  }
  if (builds) {
    lines.push(
      row([
        'builds/s through the worker (one process, no-op command builder)',
        `${rate(builds.perSecond)} (${builds.builds} builds, ${builds.failed} failed)`,
        '',
      ]),
    );
  }
  if (pickup) {
    lines.push(
      row([
        'queue pickup p50 / p99 (one process, idle worker)',
        `${ms(pickup.p50)} / ${ms(pickup.p99)} ms (${pickup.jobs} jobs)`,
        mark(pickup.p50 < 20, 'p50 < 20 ms'),
      ]),
    );
  }
  return lines.join('\n');
}

function servedColumns(who: string, measured: (level: LevelResult) => ServerMeasured): Column[] {
  return [
    ...measuredColumns(who, measured),
    { header: 'CPU ms/create', cell: (level) => cpuMs(measured(level).cpuMsPerCreate) },
    databaseCpuColumn(measured),
  ];
}

function databaseCpuColumn(measured: (level: LevelResult) => DatabaseMeasured): Column {
  return { header: 'database CPU ms/create', cell: (level) => cpuMs(measured(level).databaseCpuMsPerCreate) };
}

function measuredColumns(who: string, measured: (level: LevelResult) => Measured): Column[] {
  return [
    { header: `${who} creates/s`, cell: (level) => rate(measured(level).perSecond) },
    { header: 'p50 ms', cell: (level) => ms(measured(level).p50) },
    { header: 'p99 ms', cell: (level) => ms(measured(level).p99) },
    { header: 'errors', cell: (level) => measured(level).errors },
  ];
}

/** What each side of the creates table is, and how it differs from the service. */
function legend(abCheckout: string | undefined): string[] {
  const lines = [
    '- **service**: signed HTTP creates to the built service (API role); each level is cut into slices taken in turn.',
    "- **baseline**: the SQL of the service's keyless create through `pg` alone (bench/baseline.ts), same database.",
    "- **plan design**: the product plan's create, a bare `node:http` server and `pg` pool calling " +
      '`create_complete_project()` once, then `mkdir` (bench/plan-design-server.ts), same database. It **enqueues no ' +
      "build job** (the plan's function does not; the service and the baseline insert one into pg-boss's queue in the " +
      'transaction), and has no signature check, no validation beyond JSON.parse, no lock, no dedupe and no welcome ' +
      'ledger row.',
    "- **CPU ms/create**: CPU time (user + system) of that server's process per create.",
    '- **database CPU ms/create**: CPU time of the whole PostgreSQL server (every backend and background process) ' +
      "per create during that path's slices, when the server runs on this machine (— otherwise).",
  ];
  if (abCheckout) {
    lines.push(
      `- **A/B service**: the build of ${abCheckout} (its \`dist/\`), same settings, on a database of its own.`,
    );
  }
  return lines;
}

function warmUpRows({ seconds, roundSeconds, connections, ...servers }: WarmUp): string[] {
  const names = { service: 'service', planDesign: 'plan design', abService: 'A/B service' } as const;
  return Object.entries(servers)
    .filter((entry): entry is [keyof typeof names, number[]] => entry[1] !== undefined)
    .map(([server, rounds]) =>
      row([
        `${names[server]} process CPU per create while it warmed up (${seconds} s at ${connections} connections before the levels, by ${roundSeconds} s round)`,
        `${rounds.map(cpuMs).join(', ')} ms`,
        '',
      ]),
    );
}

function wireRows({ creates, service, baseline, planDesign }: WirePerCreate): string[] {
  const counted = (who: string, counts: WireCounts, target: string) =>
    row([
      `round trips / statements per create, ${who} (${creates} creates one at a time, counted on the wire)`,
      `${counts.roundTrips.toFixed(1)} / ${counts.statements.toFixed(1)}`,
      target,
    ]);
  return [
    counted(
      'service, in its transactions',
      service.transactions,
      mark(service.transactions.roundTrips <= 3, 'round trips ≤ 3'),
    ),
    counted('service, all its connections (the workers’ wake-up after COMMIT too)', service.all, ''),
    counted('baseline', baseline.all, ''),
    counted('plan design', planDesign.all, ''),
    ...walRows(creates, { service, baseline, 'plan design': planDesign }),
  ];
}

/** The WAL each path's creates made the server write, and the service's bytes against the plan design's. */
function walRows(creates: number, paths: Record<string, PerCreate>): string[] {
  const rows = Object.entries(paths).map(([who, { wal }]) =>
    row([
      `WAL per create, ${who} (${creates} creates one at a time): records, bytes (+ full-page images)`,
      `${wal.records.toFixed(1)}, ${wal.recordBytes} B (+ ${wal.fullPageBytes} B)`,
      '',
    ]),
  );
  const service = paths.service.wal.recordBytes;
  const planDesign = paths['plan design'].wal.recordBytes;
  return [...rows, row(['WAL bytes per create, service / plan design', (service / planDesign).toFixed(2), ''])];
}

/** Clicks answered with anything but the first project (201) or its dedupe (200). */
function stormErrors({ statuses }: StormResult): number {
  return Object.entries(statuses)
    .filter(([status]) => status !== '200' && status !== '201')
    .reduce((sum, [, count]) => sum + count, 0);
}

/** What went wrong, when anything did, under the table. */
function errorLines(levels: LevelResult[]): string[] {
  const lines: string[] = [];
  for (const { connections, service, baseline, planDesign, abService } of levels) {
    for (const [who, measured] of [
      ['service', service],
      ['baseline', baseline],
      ['plan design', planDesign],
      ['A/B service', abService],
    ] as const) {
      if (measured && measured.errors > 0)
        lines.push('', `${who} errors at ${connections} connections: ${JSON.stringify(measured.errorKinds)}`);
    }
  }
  return lines;
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function ratio(a: Measured, b: Measured): string {
  return (a.perSecond / b.perSecond).toFixed(2);
}

function rate(perSecond: number): string {
  return perSecond.toFixed(1);
}

/** What a create costs the machine: its server's CPU and its database's. */
function machineCpuMs({ cpuMsPerCreate, databaseCpuMsPerCreate }: ServerMeasured): number {
  return cpuMsPerCreate + databaseCpuMsPerCreate;
}

function machineCpu(measured: ServerMeasured): string {
  return `${cpuMs(measured.cpuMsPerCreate)} + ${cpuMs(measured.databaseCpuMsPerCreate)} = ${cpuMs(machineCpuMs(measured))} ms`;
}

/** CPU milliseconds, or a dash where they could not be read. */
function cpuMs(milliseconds: number): string {
  return Number.isFinite(milliseconds) ? milliseconds.toFixed(2) : '—';
}

function ms(milliseconds: number): string {
  return milliseconds.toFixed(1);
}

function mark(met: boolean, target: string): string {
  return `${target} ${met ? '✔' : '✘'}`;
}
