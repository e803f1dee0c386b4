import { Agent } from 'node:http';
import { Pool } from 'pg';
import { createProject } from './http-client';
import { percentile } from './measurements';
import { newUserCreate } from './signed-create';

/** Creates paced this far apart leave the worker idle between them, so each pickup is the queue's alone. */
const PACE_MS = 50;
const SETTLE_TIMEOUT_MS = 180_000;

export interface Pickup {
  jobs: number;
  p50: number;
  p99: number;
}

export interface BuildThroughput {
  builds: number;
  perSecond: number;
  failed: number;
}

/**
 * Queue pickup latency as the service's `sheen_build_queue_pickup_seconds` defines it, read exactly
 * from the database: the job's creation (pgboss.job.created_on, inside the create's transaction) to
 * its build's start (project_build_metrics.started_at, the worker's first attempt). Creates are sent
 * one at a time, PACE_MS apart, to a worker with nothing else to do.
 */
export async function measurePickup(baseUrl: string, database: Pool, jobs: number): Promise<Pickup> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const jobIds: string[] = [];
  try {
    for (let sent = 0; sent < jobs; sent++) {
      jobIds.push((await createProject(agent, baseUrl, newUserCreate())).jobId);
      await new Promise((wait) => setTimeout(wait, PACE_MS));
    }
  } finally {
    agent.destroy();
  }
  await allBuildsSettled(database);
  const { rows } = await database.query<{ ms: number }>(
    `SELECT extract(epoch FROM b.started_at - j.created_on)::float8 * 1000 AS ms
       FROM pgboss.job j JOIN project_build_metrics b ON b.build_id = j.data->>'buildId'
      WHERE j.id = ANY($1::uuid[])`,
    [jobIds],
  );
  const sorted = rows.map((row) => row.ms).sort((a, b) => a - b);
  return { jobs: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/**
 * Builds per second through the worker: `builds` creates sent as fast as `connections` callers
 * can, then the time from the first of those builds starting to the last one finishing.
 */
export async function measureBuildThroughput(
  baseUrl: string,
  database: Pool,
  builds: number,
  connections: number,
): Promise<BuildThroughput> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const buildIds: string[] = [];
  let sent = 0;
  const caller = async () => {
    while (sent < builds) {
      sent += 1;
      buildIds.push((await createProject(agent, baseUrl, newUserCreate())).buildId);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, caller));
  } finally {
    agent.destroy();
  }
  await allBuildsSettled(database);
  const {
    rows: [span],
  } = await database.query<{ builds: number; seconds: number; failed: number }>(
    `SELECT count(*)::int AS builds, count(*) FILTER (WHERE status <> 'succeeded')::int AS failed,
            extract(epoch FROM max(finished_at) - min(started_at))::float8 AS seconds
       FROM project_build_metrics WHERE build_id = ANY($1::text[])`,
    [buildIds],
  );
  return { builds: span.builds, perSecond: span.builds / span.seconds, failed: span.failed };
}

/** Waits until no build is queued or running. */
async function allBuildsSettled(database: Pool): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const {
      rows: [{ open }],
    } = await database.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM project_build_metrics WHERE status IN ('queued', 'running')`,
    );
    if (open === 0) return;
    if (Date.now() > deadline) throw new Error(`${open} builds still open after ${SETTLE_TIMEOUT_MS} ms`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}
