import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PgBoss } from 'pg-boss';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * BUILDS_PER_USER (ADR 038): one user's builds run at most that many at once across every worker
 * process, so a user with a backlog cannot hold the workers while other users wait.
 */

/** One build's life, from the database: when it was queued, started its attempt, finished. */
interface BuildSpan {
  userId: string;
  status: string;
  attempts: number;
  queued: number;
  started: number;
  finished: number;
}

/** Long enough that builds overlap whenever the workers let them. */
const BUILD_SECONDS = 1.5;
/** ts-node transpiles src/ as each process boots: several booting at once on 2 busy cores is slow. */
const BOOT_MS = 180_000;

describe('the fair queue across two worker processes', () => {
  let t: TestApp;
  let services: ServiceProcesses;

  beforeAll(async () => {
    // HTTP only: every build is run by the worker processes.
    t = await startTestApp();
    services = await ServiceProcesses.open('fair-queue', { on: t });
  });
  afterEach(() => services?.killAll());
  afterAll(async () => {
    await services?.close();
    await t?.close();
  });

  const startWorkers = (env: Record<string, string>) =>
    Promise.all(
      ['worker-1', 'worker-2'].map((name) =>
        services.startWorker(
          name,
          {
            BUILDER: 'command',
            // Only sleeps and writes its output: nothing for a sandbox to hide.
            BUILD_SANDBOX: 'none',
            BUILD_COMMAND: `sleep ${BUILD_SECONDS}; echo ok > "$OUTPUT_DIR/index.html"`,
            ...env,
          },
          BOOT_MS,
        ),
      ),
    );

  async function create(userId: string, prompt: string): Promise<string> {
    const { body } = await t.http().post(CREATE_PATH).send(createBody({ userId, prompt })).expect(201);
    return body.buildId as string;
  }

  /** The builds' spans once every one has finished, in milliseconds of the database clock. */
  const finished = (buildIds: string[]) =>
    eventually(
      'every build finished',
      async () => {
        const spans = await t.db.query<BuildSpan>(
          `SELECT user_id AS "userId", status, attempts,
                  extract(epoch FROM created_at) * 1000 AS queued,
                  extract(epoch FROM started_at) * 1000 AS started,
                  extract(epoch FROM finished_at) * 1000 AS finished
             FROM project_build_metrics WHERE build_id = ANY($1)`,
          [buildIds],
        );
        return spans.every((span) => span.status === 'succeeded' || span.status === 'failed') ? spans : undefined;
      },
      120_000,
    );

  /** The most of these builds that ran at the same moment. */
  function mostAtOnce(spans: BuildSpan[]): number {
    const changes = spans.flatMap((span) => [
      { at: span.started, change: 1 },
      { at: span.finished, change: -1 },
    ]);
    // At the same instant, an end comes before a start: touching spans do not overlap.
    changes.sort((a, b) => a.at - b.at || a.change - b.change);
    let running = 0;
    let most = 0;
    for (const { change } of changes) most = Math.max(most, (running += change));
    return most;
  }

  it('BUILDS_PER_USER=1: a user’s eight builds run one at a time, and the others’ builds start within one build’s time', async () => {
    // One slot per worker: without the limit, the heavy user's eight would hold both for four rounds.
    await startWorkers({ BUILDS_PER_USER: '1', BUILD_CONCURRENCY: '1' });
    const heavy = randomUUID();
    const heavyBuilds: string[] = [];
    for (let i = 0; i < 8; i++) heavyBuilds.push(await create(heavy, `heavy ${i}`));
    const others = [await create(randomUUID(), 'light'), await create(randomUUID(), 'light')];

    const spans = await finished([...heavyBuilds, ...others]);

    expect(spans.map((span) => [span.status, span.attempts])).toEqual(Array(10).fill(['succeeded', 1]));
    const heavySpans = spans.filter((span) => span.userId === heavy);
    expect(heavySpans).toHaveLength(8);
    expect(mostAtOnce(heavySpans)).toBe(1);
    // The first light build takes the free worker at once, the second the first worker freed.
    for (const span of spans.filter((span) => span.userId !== heavy))
      expect(span.started - span.queued).toBeLessThan((BUILD_SECONDS + 2.5) * 1000);
    expect(services.exitedUnexpectedly()).toEqual([]);
  }, 400_000);

  it('BUILDS_PER_USER=2: two of a user’s builds run at once, never three', async () => {
    await startWorkers({ BUILDS_PER_USER: '2', BUILD_CONCURRENCY: '2' });
    const heavy = randomUUID();
    const heavyBuilds: string[] = [];
    for (let i = 0; i < 8; i++) heavyBuilds.push(await create(heavy, `heavy ${i}`));

    const spans = await finished(heavyBuilds);

    expect(spans.map((span) => span.status)).toEqual(Array(8).fill('succeeded'));
    expect(mostAtOnce(spans)).toBe(2);
    expect(services.exitedUnexpectedly()).toEqual([]);
  }, 400_000);
});

/**
 * pg-boss's `groupConcurrency` decides in the fetch's snapshot, so two workers fetching at once can
 * both claim a job of the same user; the claim guard (src/build-queue/user-build-limit.ts) makes the
 * second wait for the first's commit and then skips its claim.
 */
describe('two claims of one user’s builds at the same moment', () => {
  let t: TestApp;
  let boss: PgBoss;
  let claimer: Client;
  const userId = randomUUID();
  let jobs: string[];

  beforeAll(async () => {
    t = await startTestApp();
    // A worker defines the guard as it starts; stopped at once, it leaves the jobs below to the test.
    const worker = await startTestApp({ database: t.db, roles: ['worker'], env: { PROJECTS_ROOT: t.projectsRoot } });
    await worker.close();
    for (const prompt of ['first', 'second'])
      await t.http().post(CREATE_PATH).send(createBody({ userId, prompt })).expect(201);
    jobs = (
      await t.db.query<{ id: string }>(
        `SELECT id FROM pgboss.job WHERE name = $1 AND group_id = $2 ORDER BY created_on`,
        [BUILD_QUEUE, userId],
      )
    ).map((job) => job.id);
    boss = new PgBoss({ connectionString: t.db.url, max: 2, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
    claimer = new Client({ connectionString: t.db.url });
    await claimer.connect();
  });
  afterAll(async () => {
    await claimer?.end();
    await boss?.stop({ graceful: false });
    await t?.close();
  });

  const stateOf = async (id: string) =>
    (await t.db.query<{ state: string }>(`SELECT state FROM pgboss.job WHERE id = $1`, [id]))[0].state;

  /**
   * pg-boss's fetch, as a worker with BUILDS_PER_USER=1 runs it, while another claim of the user's
   * first job is not yet committed: the jobs it claimed, and whether it waited for that commit.
   */
  async function fetchDuringAnotherClaim(): Promise<{ claimed: string[]; waited: boolean }> {
    await claimer.query('BEGIN');
    await claimer.query(`UPDATE pgboss.job SET state = 'active', started_on = now() WHERE id = $1`, [jobs[0]]);
    let answered = false;
    const fetched = boss.fetch(BUILD_QUEUE, { groupConcurrency: 1 }).finally(() => (answered = true));
    // Either the fetch waits for the other claim (the guard), or it has already answered.
    const waited = await eventually(
      'the fetch waiting for the other claim, or answered',
      async () => {
        const [{ waiting }] = await t.db.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event = 'advisory' AND query LIKE '%UPDATE%'`,
        );
        if (waiting > 0) return true;
        return answered ? false : undefined;
      },
      10_000,
    );
    await claimer.query('COMMIT');
    return { claimed: (await fetched).map((job) => job.id), waited };
  }

  it('pg-boss alone claims the second job too: the reason for the guard', async () => {
    await t.db.query(`ALTER TABLE pgboss.job_common DISABLE TRIGGER build_queue_claim_within_user_limit`);
    try {
      expect(await fetchDuringAnotherClaim()).toEqual({ claimed: [jobs[1]], waited: false });
    } finally {
      await t.db.query(`ALTER TABLE pgboss.job_common ENABLE TRIGGER build_queue_claim_within_user_limit`);
      // Both handed back as pg-boss's own restore does: waiting again, at the same attempt.
      await t.db.query(
        `UPDATE pgboss.job SET state = 'created', started_on = NULL, heartbeat_on = NULL WHERE id = ANY($1)`,
        [jobs],
      );
    }
  });

  it('with the guard, the second claim waits for the first, then claims nothing: the job stays queued', async () => {
    expect(await fetchDuringAnotherClaim()).toEqual({ claimed: [], waited: true });

    expect(await stateOf(jobs[0])).toBe('active');
    expect(await stateOf(jobs[1])).toBe('created');
  });
});
