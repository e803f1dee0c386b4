import { randomUUID } from 'node:crypto';
import { PgBoss } from 'pg-boss';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { QUEUE_POSITION_REFRESH_MS } from '../../src/builds/build-status-events.service';
import type { BuildResponse } from '../../src/builds/dto/build.response';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { EventStream } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * `queuePosition` (ADR 038): with no worker running, builds of several users wait in line. The line
 * is by round (how many of the user's own builds must finish first, BUILDS_PER_USER at a time),
 * then by age, as pg-boss fetches them.
 */
describe('a queued build’s place in line', () => {
  let t: TestApp;
  let baseUrl: string;
  let boss: PgBoss;
  const heavy = randomUUID();
  const [second, third] = [randomUUID(), randomUUID()];
  /** Build ids by name, queued in the order of the names' numbers: a1, a2, b1, a3, c1. */
  const builds: Record<string, { buildId: string; userId: string }> = {};

  const read = async (name: string): Promise<BuildResponse> => {
    const { buildId, userId } = builds[name];
    return (await t.http().get(`/v1/builds/${buildId}?userId=${userId}`).expect(200)).body as BuildResponse;
  };
  const positions = async (names: string[]): Promise<Record<string, number | undefined>> =>
    Object.fromEntries(
      await Promise.all(
        names.map(async (name): Promise<[string, number | undefined]> => [name, (await read(name)).queuePosition]),
      ),
    );
  const jobOf = async (name: string) => {
    const [job] = await t.db.query<{ id: string; state: string }>(
      `SELECT id, state FROM pgboss.job WHERE name = $1 AND data->>'buildId' = $2`,
      [BUILD_QUEUE, builds[name].buildId],
    );
    return job;
  };

  beforeAll(async () => {
    // HTTP only: no worker takes a build unless the test says so.
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
    boss = new PgBoss({ connectionString: t.db.url, max: 1, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
    for (const [name, userId] of [
      ['a1', heavy],
      ['a2', heavy],
      ['b1', second],
      ['a3', heavy],
      ['c1', third],
    ] as const) {
      const { body } = await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId, prompt: `build ${name}` }))
        .expect(201);
      builds[name] = { buildId: body.buildId as string, userId };
    }
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await t?.close();
  });

  it('numbers the waiting builds 1..n: each user’s first before anyone’s second, by age within a round', async () => {
    expect(await positions(['a1', 'a2', 'b1', 'a3', 'c1'])).toEqual({ a1: 1, b1: 2, c1: 3, a2: 4, a3: 5 });
  });

  it('sends the place in line in the event stream’s first event', async () => {
    const { buildId, userId } = builds.a2;
    const stream = await EventStream.open(baseUrl, `/v1/builds/${buildId}/events?userId=${userId}`, t.secret);
    try {
      await stream.waitFor('the first event', () => stream.events.length > 0, 10_000);
      expect(stream.data<BuildResponse>()[0]).toMatchObject({ status: 'queued', queuePosition: 4 });
    } finally {
      stream.close();
    }
  });

  it('leaves out a build a worker has claimed, and counts its user’s claim against the limit; the stream follows the move', async () => {
    const { buildId, userId } = builds.a2;
    const stream = await EventStream.open(baseUrl, `/v1/builds/${buildId}/events?userId=${userId}`, t.secret);
    try {
      await stream.waitFor('the first event', () => stream.events.length > 0, 10_000);
      // A worker's claim, as pg-boss makes it: the oldest job whose user is under the limit.
      const [claimed] = await boss.fetch(BUILD_QUEUE, { groupConcurrency: 1 });
      expect(claimed.id).toBe((await jobOf('a1')).id);

      // Still `queued` until its worker starts the attempt, but no longer waiting in line.
      expect(await read('a1')).toMatchObject({ status: 'queued' });
      expect((await read('a1')).queuePosition).toBeUndefined();
      expect(await positions(['b1', 'c1', 'a2', 'a3'])).toEqual({ b1: 1, c1: 2, a2: 3, a3: 4 });

      // No status changed: the stream re-reads a queued build every QUEUE_POSITION_REFRESH_MS.
      await stream.waitFor('the new place', () => stream.events.length > 1, QUEUE_POSITION_REFRESH_MS + 5000);
      expect(stream.data<BuildResponse>().map((build) => build.queuePosition)).toEqual([4, 3]);
    } finally {
      stream.close();
      // Handed back as pg-boss's own restore does: waiting again, at the same attempt.
      await t.db.query(
        `UPDATE pgboss.job SET state = 'created', started_on = NULL, heartbeat_on = NULL WHERE id = $1`,
        [(await jobOf('a1')).id],
      );
    }
  });

  it('with BUILDS_PER_USER=2, a user’s second build is in the first round beside the others’ firsts', async () => {
    const two = await startTestApp({ database: t.db, env: { PROJECTS_ROOT: t.projectsRoot, BUILDS_PER_USER: '2' } });
    try {
      const inLine = async (name: string) =>
        (await two.http().get(`/v1/builds/${builds[name].buildId}?userId=${builds[name].userId}`).expect(200)).body
          .queuePosition as number;
      const names = ['a1', 'a2', 'b1', 'a3', 'c1'];
      const line = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await inLine(name)])));

      expect(line).toEqual({ a1: 1, a2: 2, b1: 3, c1: 4, a3: 5 });
    } finally {
      await two.close();
    }
  });

  it('has no place for a running or finished build', async () => {
    const worker = await startTestApp({
      database: t.db,
      roles: ['worker'],
      env: {
        PROJECTS_ROOT: t.projectsRoot,
        BUILDER: 'command',
        // Only sleeps and writes its output: nothing for a sandbox to hide.
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: 'sleep 1; echo ok > "$OUTPUT_DIR/index.html"',
      },
    });
    try {
      const running = await eventually(
        'a running build',
        async () => {
          const all = await Promise.all(Object.keys(builds).map(read));
          return all.find((build) => build.status === 'running');
        },
        30_000,
      );
      expect(running.queuePosition).toBeUndefined();

      const finished = await eventually(
        'every build finished',
        async () => {
          const all = await Promise.all(Object.keys(builds).map(read));
          return all.every((build) => build.status === 'succeeded') ? all : undefined;
        },
        60_000,
      );
      expect(finished.map((build) => build.queuePosition)).toEqual(Array(5).fill(undefined));
    } finally {
      await worker.close();
    }
  }, 90_000);
});
