import { Client } from 'pg';
import { PgBoss } from 'pg-boss';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

/** What differs between any two jobs: who they are, what they carry, and when they were made. */
const PER_JOB_COLUMNS = ['id', 'data', 'created_on', 'start_after', 'keep_until', 'trace_context'];

/**
 * The create enqueues its build through `build_queue_insert`, the statement pg-boss's own `send`
 * runs, taken from the installed pg-boss at start (BuildQueueService.defineJobInsert). Should a
 * pg-boss upgrade change how a job is written, this is where it shows, not in production.
 */
describe('the build job a create inserts', () => {
  let t: TestApp;
  let boss: PgBoss;

  beforeAll(async () => {
    t = await startTestApp();
    boss = new PgBoss({ connectionString: t.db.url, max: 1, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await t?.close();
  });

  const job = async (id: string) => {
    const [row] = await t.db.query<Record<string, unknown>>(
      `SELECT to_jsonb(job) - $2::text[] AS columns, keep_until - start_after AS kept_for
         FROM pgboss.job WHERE id = $1`,
      [id, PER_JOB_COLUMNS],
    );
    return row;
  };

  it('is the job pg-boss’s own send makes for the same data in the user’s group, column for column', async () => {
    const request = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(request).expect(201);
    const [{ data }] = await t.db.query<{ data: object }>(`SELECT data FROM pgboss.job WHERE id = $1`, [created.jobId]);

    // The group is what BUILDS_PER_USER limits (ADR 038): the user's builds, across every worker.
    const sentId = await boss.send(BUILD_QUEUE, data, { group: { id: request.userId as string } });

    expect(sentId).not.toBeNull();
    const ours = await job(created.jobId as string);
    expect(ours.columns).toMatchObject({ name: BUILD_QUEUE, state: 'created', group_id: request.userId });
    expect(ours).toEqual(await job(sentId!));
  });

  it('wakes the workers as pg-boss’s send does: a NOTIFY on its channel, sent when the create commits', async () => {
    const listener = new Client({ connectionString: t.db.url });
    await listener.connect();
    try {
      const [{ channel }] = await t.db.query<{ channel: string }>(
        `SELECT 'pgboss_' || left(encode(sha224('pgboss'::bytea), 'hex'), 24) AS channel`,
      );
      const notified = new Promise<string | undefined>((resolve) =>
        listener.on('notification', (message) => resolve(message.payload)),
      );
      await listener.query(`LISTEN "${channel}"`);

      await t.http().post(CREATE_PATH).send(createBody()).expect(201);

      await expect(notified).resolves.toBe(BUILD_QUEUE);
    } finally {
      await listener.end();
    }
  });
});
