import { cpus, loadavg, totalmem } from 'node:os';
import type { Measured } from './measurements';
import type { StormResult } from './storm';
import type { BuildThroughput, Pickup } from './worker-throughput';

export interface LevelResult {
  connections: number;
  service: Measured;
  /** CPU time the service process used per create (user + system), whatever else the machine ran. */
  serviceCpuMsPerCreate: number;
  baseline: Measured;
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
  paced?: PacedResult;
  storm?: StormComparison;
  pickup?: Pickup;
  builds?: BuildThroughput;
}

/** The machine and the moment, for BENCHMARKS.md. */
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

/** One markdown table of the creates, then one of the rest, each line with its target. */
export function formatResults({ levels, paced, storm, pickup, builds }: Results): string {
  const lines = [
    '| connections | service creates/s | p50 ms | p99 ms | errors | CPU ms/create | baseline creates/s | p50 ms | p99 ms | errors | service/baseline |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...levels.map(({ connections, service, serviceCpuMsPerCreate, baseline }) =>
      row([
        connections,
        rate(service.perSecond),
        ms(service.p50),
        ms(service.p99),
        service.errors,
        serviceCpuMsPerCreate.toFixed(2),
        rate(baseline.perSecond),
        ms(baseline.p50),
        ms(baseline.p99),
        baseline.errors,
        (service.perSecond / baseline.perSecond).toFixed(2),
      ]),
    ),
    ...errorLines(levels),
    '',
    '| measure | result | target |',
    '| --- | --- | --- |',
  ];
  const at16 = levels.find((level) => level.connections === 16);
  if (at16) {
    const ratio = at16.service.perSecond / at16.baseline.perSecond;
    lines.push(row(['service/baseline at 16 connections', ratio.toFixed(2), mark(ratio >= 0.6, '≥ 0.6')]));
    lines.push(
      row(['service p99 at 16 connections', `${ms(at16.service.p99)} ms`, mark(at16.service.p99 < 50, '< 50 ms')]),
    );
  }
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

/** Clicks answered with anything but the first project (201) or its dedupe (200). */
function stormErrors({ statuses }: StormResult): number {
  return Object.entries(statuses)
    .filter(([status]) => status !== '200' && status !== '201')
    .reduce((sum, [, count]) => sum + count, 0);
}

/** What went wrong, when anything did, under the table. */
function errorLines(levels: LevelResult[]): string[] {
  const lines: string[] = [];
  for (const { connections, service, baseline } of levels) {
    for (const [who, measured] of [
      ['service', service],
      ['baseline', baseline],
    ] as const) {
      if (measured.errors > 0)
        lines.push('', `${who} errors at ${connections} connections: ${JSON.stringify(measured.errorKinds)}`);
    }
  }
  return lines;
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function rate(perSecond: number): string {
  return perSecond.toFixed(1);
}

function ms(milliseconds: number): string {
  return milliseconds.toFixed(1);
}

function mark(met: boolean, target: string): string {
  return `${target} ${met ? '✔' : '✘'}`;
}
