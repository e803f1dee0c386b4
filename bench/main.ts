import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { SERVICE_POOL_NAME } from '../src/database/data-source-options';
import { PostgresWireCounter } from '../test/support/postgres-wire-counter';
import { BaselineCreates } from './baseline';
import type { ChildServer } from './child-server';
import { CpuMeter } from './cpu-meter';
import { DatabaseServer, openDatabaseServer } from './database-server';
import { describeFolderCost } from './folder-probe';
import { createProject } from './http-client';
import { loadCreates, paceCreates } from './http-load';
import { LatencyRecorder } from './measurements';
import { installCreateCompleteProject } from './plan-design-function';
import { startPlanDesign } from './plan-design-process';
import { describeMachine, formatResults, LevelResult, Results, StormComparison, WirePerCreate } from './report';
import { ServedCreates } from './served-creates';
import { startService, WELCOME_SECONDS } from './service-process';
import { newUserCreate } from './signed-create';
import { DoubleClickStorm } from './storm';
import { WalMeter } from './wal-meter';
import { countPerCreate, PerCreate } from './wire-counts';
import { measureBuildThroughput, measurePickup } from './worker-throughput';

/**
 * `npm run bench` (ADR 020; results in docs/benchmarks.md). Settings, all optional: BENCH_SECONDS per
 * level (10), BENCH_WARM_UP_SECONDS per server (60), BENCH_CONNECTIONS (1,16,64), BENCH_SKIP (any
 * of creates, storm, worker), BENCH_SERVICE_NODE_OPTIONS (see service-process.ts) and
 * BENCH_AB_CHECKOUT: the path of another checkout of the service, built already (its `dist/`; its
 * `bench/` is not used), whose service then runs beside this one, on a database of its own, in the
 * same alternating slices, for an A/B comparison of two builds in one run.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Load each path takes before anything is measured. A fresh service process spends about twice the
 * CPU per create in its first seconds of load as once V8 has optimised its code, and settles only
 * after some tens of seconds (the plan design's few functions within fifteen): measured after three
 * seconds, a service that runs for days looked twice as costly (docs/benchmarks.md, "Warm-up").
 */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 60);
/** The warm-up's CPU per create is read in rounds of this many seconds, for the report. */
const WARM_UP_ROUND_SECONDS = 5;
/** Each path's measuring time at a level is cut into this many slices, the paths' slices taken in turn. */
const SLICES = 2;
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(','));
/** The load other users keep up during the storm, and the level the targets are set at. */
const STEADY_CONNECTIONS = 16;
/** Well under what the service sustains here, so latency is the create's own, not the queue's before it. */
const PACED_RATE = 100;
const PICKUP_JOBS = 100;
const THROUGHPUT_BUILDS = 300;
/** Creates sent one after another while the wire is counted (statements and round trips per create). */
const COUNTED_CREATES = 200;
const AB_CHECKOUT = process.env.BENCH_AB_CHECKOUT ? resolve(process.env.BENCH_AB_CHECKOUT) : undefined;

/** What each level's slices go to, in turn. */
interface CreatePaths {
  service: ChildServer;
  baseline: BaselineCreates;
  planDesign: ChildServer;
  abService?: ChildServer;
}

async function main(): Promise<void> {
  const server = await openDatabaseServer();
  const workDir = await mkdtemp(join(tmpdir(), 'sheen-bench-'));
  const machine = `${describeMachine(server.description)}\n${describeFolderCost(join(workDir, 'folders-at-start'))}`;
  process.stderr.write(`${machine}\n`);
  try {
    const results: Results = { levels: [], abCheckout: AB_CHECKOUT };
    if (!SKIP.has('creates')) await benchCreates(server, workDir, results);
    if (!SKIP.has('worker')) await benchWorker(server, workDir, results);
    const atTheEnd = [
      describeMachine(server.description).split('\n').at(-1),
      describeFolderCost(join(workDir, 'folders-at-end')),
    ];
    process.stdout.write(`\n${machine}\n${atTheEnd.map((line) => `${line} (at the end)`).join('\n')}\n\n`);
    process.stdout.write(`${formatResults(results)}\n`);
  } finally {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * The service (API role), the raw-SQL baseline and the plan's design, on one database (and
 * BENCH_AB_CHECKOUT's service on its own), level by level; then the wire counts, the paced run and
 * the storm.
 */
async function benchCreates(server: DatabaseServer, workDir: string, results: Results): Promise<void> {
  const databaseUrl = await server.createDatabase('creates');
  // What was started so far, stopped in reverse order whatever fails (a child process outlives us).
  const stops: (() => Promise<void>)[] = [];
  try {
    const service = await startService({ databaseUrl, projectsRoot: join(workDir, 'creates'), role: 'api' });
    stops.push(() => service.stop());
    const baseline = await BaselineCreates.open(databaseUrl, WELCOME_SECONDS);
    stops.push(() => baseline.close());
    await installCreateCompleteProject(databaseUrl, WELCOME_SECONDS);
    const planDesign = await startPlanDesign(databaseUrl, join(workDir, 'plan-design'));
    stops.push(() => planDesign.stop());
    const abService = AB_CHECKOUT ? await startAbService(server, workDir, AB_CHECKOUT) : undefined;
    if (abService) stops.push(() => abService.stop());
    const paths = { service, baseline, planDesign, abService };
    progress(`warming up, ${WARM_UP_SECONDS} s each`);
    const databaseCpu = () => server.cpuSeconds();
    results.warmUp = {
      seconds: WARM_UP_SECONDS,
      roundSeconds: Math.min(WARM_UP_ROUND_SECONDS, WARM_UP_SECONDS),
      connections: STEADY_CONNECTIONS,
      service: await warmUp(service, databaseCpu),
      planDesign: await warmUp(planDesign, databaseCpu),
      abService: abService && (await warmUp(abService, databaseCpu)),
    };
    progress(JSON.stringify(results.warmUp));
    await baseline.load(STEADY_CONNECTIONS, WARM_UP_ROUND_SECONDS);
    for (const connections of LEVELS) {
      progress(`${connections} connections`);
      const level = await measureLevel(server, paths, connections);
      results.levels.push(level);
      progress(JSON.stringify(level));
    }
    results.wire = await countWire(databaseUrl, workDir);
    progress(`${STEADY_CONNECTIONS} connections at ${PACED_RATE} creates/s`);
    results.paced = {
      connections: STEADY_CONNECTIONS,
      rate: PACED_RATE,
      service: await paceCreates({ ...steadyLoad(service), rate: PACED_RATE }),
    };
    if (!SKIP.has('storm')) results.storm = await stormComparison(service, databaseUrl);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/** Loads a server for WARM_UP_SECONDS at the steady level; its CPU ms per create, round by round. */
async function warmUp(http: ChildServer, databaseCpu: () => number | undefined): Promise<number[]> {
  const rounds: number[] = [];
  for (let elapsed = 0; elapsed < WARM_UP_SECONDS; elapsed += WARM_UP_ROUND_SECONDS) {
    const round = new ServedCreates(http, databaseCpu);
    await round.slice(STEADY_CONNECTIONS, Math.min(WARM_UP_ROUND_SECONDS, WARM_UP_SECONDS - elapsed));
    rounds.push(round.summary().cpuMsPerCreate);
  }
  return rounds;
}

/** BENCH_AB_CHECKOUT's service, on a database of its own: each build runs its own version's migrations at start. */
async function startAbService(server: DatabaseServer, workDir: string, checkout: string): Promise<ChildServer> {
  if (!existsSync(join(checkout, 'dist/src/main.js'))) {
    throw new Error(`BENCH_AB_CHECKOUT ${checkout} has no dist/src/main.js: run npm run build there first`);
  }
  const databaseUrl = await server.createDatabase('creates_ab');
  return startService({ databaseUrl, projectsRoot: join(workDir, 'creates-ab'), role: 'api', checkout });
}

/**
 * The service, the baseline, the plan's design (and the A/B service) in alternating slices, so that
 * whatever else loads the machine meanwhile weighs on all alike; each one's latencies, time and CPU
 * are summed over its slices.
 */
async function measureLevel(
  server: DatabaseServer,
  { service, baseline, planDesign, abService }: CreatePaths,
  connections: number,
): Promise<LevelResult> {
  const databaseCpu = () => server.cpuSeconds();
  const served = new ServedCreates(service, databaseCpu);
  const baselineRecorder = new LatencyRecorder();
  const baselineDatabaseCpu = new CpuMeter(databaseCpu);
  const plan = new ServedCreates(planDesign, databaseCpu);
  const ab = abService && new ServedCreates(abService, databaseCpu);
  const seconds = SECONDS / SLICES;
  for (let slice = 0; slice < SLICES; slice++) {
    await served.slice(connections, seconds);
    await baselineDatabaseCpu.during(() => baseline.load(connections, seconds, baselineRecorder));
    await plan.slice(connections, seconds);
    await ab?.slice(connections, seconds);
  }
  const baselineMeasured = baselineRecorder.summary();
  return {
    connections,
    service: served.summary(),
    baseline: { ...baselineMeasured, databaseCpuMsPerCreate: baselineDatabaseCpu.msPer(baselineMeasured.succeeded) },
    planDesign: plan.summary(),
    abService: ab?.summary(),
  };
}

/**
 * Round trips and statements per create, each path counted on the wire on connections of its own
 * (PostgresWireCounter), and the WAL the server wrote for it: a second service (API role), the
 * baseline and a second plan design, each sent COUNTED_CREATES creates one after another.
 */
async function countWire(databaseUrl: string, workDir: string): Promise<WirePerCreate> {
  progress('round trips, statements and WAL per create');
  const service = await throughCounter(
    databaseUrl,
    async (url) =>
      overHttp(await startService({ databaseUrl: url, projectsRoot: join(workDir, 'counted'), role: 'api' })),
    SERVICE_POOL_NAME,
  );
  const baseline = await throughCounter(databaseUrl, async (url) => {
    const counted = await BaselineCreates.open(url, WELCOME_SECONDS);
    return { create: () => counted.create(newUserCreate()), close: () => counted.close() };
  });
  const planDesign = await throughCounter(databaseUrl, async (url) =>
    overHttp(await startPlanDesign(url, join(workDir, 'counted-plan-design'))),
  );
  return { creates: COUNTED_CREATES, service, baseline, planDesign };
}

interface CountedPath {
  create: () => Promise<unknown>;
  close: () => Promise<void>;
}

/** Opens a path on a counter in front of `databaseUrl`, counts its creates, and closes both. */
async function throughCounter(
  databaseUrl: string,
  open: (url: string) => Promise<CountedPath>,
  transactionPool?: string,
): Promise<PerCreate> {
  const wal = await WalMeter.open(databaseUrl);
  const counter = await PostgresWireCounter.to(databaseUrl);
  try {
    const path = await open(counter.url);
    try {
      return await countPerCreate(counter, wal, COUNTED_CREATES, path.create, transactionPool);
    } finally {
      await path.close();
    }
  } finally {
    await counter.close();
    await wal.close();
  }
}

/** One signed create at a time over one keep-alive connection; closing stops the server. */
function overHttp(server: ChildServer): CountedPath {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    create: () => createProject(agent, server.baseUrl, newUserCreate()),
    close: () => {
      agent.destroy();
      return server.stop();
    },
  };
}

/**
 * Other users' creates without, then during, one user's double-click storm, in alternating slices
 * (as measureLevel does), then how many projects the storm user ended up with.
 */
async function stormComparison(service: ChildServer, databaseUrl: string): Promise<StormComparison> {
  progress('other users without and during a double-click storm');
  const slice = { ...steadyLoad(service), seconds: SECONDS / SLICES };
  const quiet = new LatencyRecorder();
  const stormy = new LatencyRecorder();
  const stormUser = randomUUID();
  const storm = new DoubleClickStorm(service.baseUrl, stormUser);
  try {
    for (let round = 0; round < SLICES; round++) {
      await loadCreates(slice, quiet);
      await storm.during(() => loadCreates(slice, stormy));
    }
  } finally {
    storm.close();
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM projects WHERE owner_id = $1',
      [stormUser],
    );
    return {
      connections: STEADY_CONNECTIONS,
      quiet: quiet.summary(),
      stormy: stormy.summary(),
      storm: storm.result(),
      projects: rows[0].count,
    };
  } finally {
    await pool.end();
  }
}

/** One process (API and worker, as `npm start`) with a builder that does nothing, on a fresh database. */
async function benchWorker(server: DatabaseServer, workDir: string, results: Results): Promise<void> {
  const databaseUrl = await server.createDatabase('builds');
  const service = await startService({
    databaseUrl,
    projectsRoot: join(workDir, 'builds'),
    env: { BUILDER: 'command', BUILD_COMMAND: 'true' },
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  try {
    progress('queue pickup');
    results.pickup = await measurePickup(service.baseUrl, pool, PICKUP_JOBS);
    progress('builds/s');
    results.builds = await measureBuildThroughput(service.baseUrl, pool, THROUGHPUT_BUILDS, STEADY_CONNECTIONS);
  } finally {
    await pool.end();
    await service.stop();
  }
}

function steadyLoad(service: ChildServer): { baseUrl: string; connections: number; seconds: number } {
  return { baseUrl: service.baseUrl, connections: STEADY_CONNECTIONS, seconds: SECONDS };
}

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
