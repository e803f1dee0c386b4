import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { BaselineCreates } from './baseline';
import { DatabaseServer, openDatabaseServer } from './database-server';
import { loadCreates, paceCreates } from './http-load';
import { cpuSeconds } from './process-cpu';
import { LatencyRecorder } from './measurements';
import { describeMachine, formatResults, LevelResult, Results, StormComparison } from './report';
import { ServiceProcess, WELCOME_SECONDS } from './service-process';
import { DoubleClickStorm } from './storm';
import { measureBuildThroughput, measurePickup } from './worker-throughput';

/**
 * `npm run bench` (DESIGN.md, "Benchmarks"; ADR 020). Settings, all optional: BENCH_SECONDS per
 * level (10), BENCH_CONNECTIONS (1,16,64), BENCH_SKIP (any of creates, storm, worker) and
 * BENCH_SERVICE_NODE_OPTIONS (see service-process.ts).
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARM_UP_SECONDS = 3;
/** Each level's measuring time is cut into this many service and baseline slices, taken in turn. */
const SLICES = 2;
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(','));
/** The load other users keep up during the storm, and the level the targets are set at. */
const STEADY_CONNECTIONS = 16;
/** Well under what the service sustains here, so latency is the create's own, not the queue's before it. */
const PACED_RATE = 100;
const PICKUP_JOBS = 100;
const THROUGHPUT_BUILDS = 300;

async function main(): Promise<void> {
  const server = await openDatabaseServer();
  const workDir = await mkdtemp(join(tmpdir(), 'sheen-bench-'));
  const machine = describeMachine(server.description);
  process.stderr.write(`${machine}\n`);
  try {
    const results: Results = { levels: [] };
    if (!SKIP.has('creates')) await benchCreates(server, workDir, results);
    if (!SKIP.has('worker')) await benchWorker(server, workDir, results);
    process.stdout.write(`\n${machine}\n${describeMachine(server.description).split('\n').at(-1)} (at the end)\n\n`);
    process.stdout.write(`${formatResults(results)}\n`);
  } finally {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The service (API role) and the raw-SQL baseline, on one database, level by level; then the storm. */
async function benchCreates(server: DatabaseServer, workDir: string, results: Results): Promise<void> {
  const databaseUrl = await server.createDatabase('creates');
  const service = await ServiceProcess.start({ databaseUrl, projectsRoot: join(workDir, 'creates'), role: 'api' });
  const baseline = await BaselineCreates.open(databaseUrl, WELCOME_SECONDS);
  try {
    progress('warming up');
    await loadCreates({ baseUrl: service.baseUrl, connections: STEADY_CONNECTIONS, seconds: WARM_UP_SECONDS });
    await baseline.load(STEADY_CONNECTIONS, WARM_UP_SECONDS);
    for (const connections of LEVELS) {
      progress(`${connections} connections`);
      const level = await measureLevel(service, baseline, connections);
      results.levels.push(level);
      progress(JSON.stringify(level));
    }
    progress(`${STEADY_CONNECTIONS} connections at ${PACED_RATE} creates/s`);
    results.paced = {
      connections: STEADY_CONNECTIONS,
      rate: PACED_RATE,
      service: await paceCreates({ ...steadyLoad(service), rate: PACED_RATE }),
    };
    if (!SKIP.has('storm')) results.storm = await stormComparison(service, databaseUrl);
  } finally {
    await baseline.close();
    await service.stop();
  }
}

/**
 * The service and the baseline in alternating slices, so that whatever else loads the machine
 * meanwhile weighs on both alike; each side's latencies and time are summed over its slices.
 */
async function measureLevel(
  service: ServiceProcess,
  baseline: BaselineCreates,
  connections: number,
): Promise<LevelResult> {
  const serviceRecorder = new LatencyRecorder();
  const baselineRecorder = new LatencyRecorder();
  const seconds = SECONDS / SLICES;
  let cpuUsed = 0;
  for (let slice = 0; slice < SLICES; slice++) {
    const cpuBefore = cpuSeconds(service.pid) ?? Number.NaN;
    await loadCreates({ baseUrl: service.baseUrl, connections, seconds }, serviceRecorder);
    cpuUsed += (cpuSeconds(service.pid) ?? Number.NaN) - cpuBefore;
    await baseline.load(connections, seconds, baselineRecorder);
  }
  const measured = serviceRecorder.summary();
  return {
    connections,
    service: measured,
    serviceCpuMsPerCreate: (1000 * cpuUsed) / measured.succeeded,
    baseline: baselineRecorder.summary(),
  };
}

/**
 * Other users' creates without, then during, one user's double-click storm, in alternating slices
 * (as measureLevel does), then how many projects the storm user ended up with.
 */
async function stormComparison(service: ServiceProcess, databaseUrl: string): Promise<StormComparison> {
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
  const service = await ServiceProcess.start({
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

function steadyLoad(service: ServiceProcess): { baseUrl: string; connections: number; seconds: number } {
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
