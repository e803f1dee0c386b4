import { randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { decodeTime } from 'ulid';
import { POOL } from '../../src/database/data-source-options';
import { freePort } from '../../src/net/free-port';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const UPDATE_PATH = '/v1/update-project';

/** Every sample of a scrape, keyed as printed: `name{label="value",...}`. */
type Samples = Map<string, number>;

async function scrape(t: TestApp): Promise<Samples> {
  const response = await t.unsigned().get('/metrics').expect(200);
  const samples: Samples = new Map();
  for (const line of response.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const separator = line.lastIndexOf(' ');
    samples.set(line.slice(0, separator), Number(line.slice(separator + 1)));
  }
  return samples;
}

/** How much each sample moved between two scrapes (a sample missing before counts from 0). */
function moved(before: Samples, after: Samples, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, (after.get(key) ?? 0) - (before.get(key) ?? 0)]));
}

const CREATED_SERVER = 'sheen_projects_created_total{id_source="server"}';
const CREATED_CLIENT = 'sheen_projects_created_total{id_source="client"}';
const DEDUPLICATED = 'sheen_project_creates_deduplicated_total';
const REPLAYED = 'sheen_project_creates_replayed_total';
const createSeconds = (outcome: string) => `sheen_project_create_duration_seconds_count{outcome="${outcome}"}`;
const CREATE_KEYS = [
  CREATED_SERVER,
  CREATED_CLIENT,
  DEDUPLICATED,
  REPLAYED,
  createSeconds('created'),
  createSeconds('deduplicated'),
  createSeconds('replayed'),
  createSeconds('error'),
];
const UPDATES_STARTED = 'sheen_project_updates_started_total';
const UPDATES_REPLAYED = 'sheen_project_updates_replayed_total';
const finished = (outcome: string) => `sheen_builds_finished_total{outcome="${outcome}"}`;
const buildSeconds = (outcome: string) => `sheen_build_duration_seconds_count{outcome="${outcome}"}`;
const PICKUP_COUNT = 'sheen_build_queue_pickup_seconds_count';
const BUILD_KEYS = [
  finished('succeeded'),
  finished('failed'),
  buildSeconds('succeeded'),
  buildSeconds('failed'),
  PICKUP_COUNT,
];
const IN_USE = 'sheen_db_pool_connections_in_use';
const WAITING = 'sheen_db_pool_waiting_requests';
const WEBHOOK_OLDEST = 'sheen_webhook_oldest_undelivered_seconds';

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    // API only: the jobs of these creates stay queued, so no build moves a build metric meanwhile.
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers an unsigned scrape with Prometheus text: the sheen metrics with their help, and the process defaults', async () => {
    const response = await t.unsigned().get('/metrics').expect(200);

    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of [
      'sheen_projects_created_total',
      'sheen_project_creates_deduplicated_total',
      'sheen_project_creates_replayed_total',
      'sheen_project_create_duration_seconds',
      'sheen_project_updates_started_total',
      'sheen_project_updates_replayed_total',
      'sheen_builds_finished_total',
      'sheen_build_duration_seconds',
      'sheen_build_queue_pickup_seconds',
      IN_USE,
      WAITING,
    ])
      expect(response.text).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
    expect(response.text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(response.text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('is not part of the signed /v1 API: an empty security requirement in the OpenAPI document', async () => {
    const { body } = await t.http().get('/docs-json').expect(200);
    const operation = (body as { paths: Record<string, { get?: { security?: unknown } }> }).paths['/metrics']?.get;

    expect(operation).toBeDefined();
    expect(operation?.security).toEqual([]);
  });

  it('counts a create once, by id source, and times it', async () => {
    const before = await scrape(t);

    await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ projectId: randomUUID() }))
      .expect(201);

    expect(moved(before, await scrape(t), CREATE_KEYS)).toEqual({
      [CREATED_SERVER]: 1,
      [CREATED_CLIENT]: 1,
      [DEDUPLICATED]: 0,
      [REPLAYED]: 0,
      [createSeconds('created')]: 2,
      [createSeconds('deduplicated')]: 0,
      [createSeconds('replayed')]: 0,
      [createSeconds('error')]: 0,
    });
  });

  it('counts a deduplicated create as a dedupe, not as a project', async () => {
    const body = createBody();
    await t.http().post(CREATE_PATH).send(body).expect(201);
    const before = await scrape(t);

    const { body: repeat } = await t.http().post(CREATE_PATH).send(body).expect(200);

    expect(repeat).toMatchObject({ deduplicated: true });
    expect(moved(before, await scrape(t), CREATE_KEYS)).toMatchObject({
      [CREATED_SERVER]: 0,
      [DEDUPLICATED]: 1,
      [REPLAYED]: 0,
      [createSeconds('deduplicated')]: 1,
      [createSeconds('created')]: 0,
    });
  });

  it('counts an Idempotency-Key replay as a replay, not as a project', async () => {
    const body = createBody();
    const key = `metrics-${randomUUID()}`;
    await t.http().post(CREATE_PATH).set('Idempotency-Key', key).send(body).expect(201);
    const before = await scrape(t);

    const replay = await t.http().post(CREATE_PATH).set('Idempotency-Key', key).send(body).expect(201);

    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(moved(before, await scrape(t), CREATE_KEYS)).toMatchObject({
      [CREATED_SERVER]: 0,
      [DEDUPLICATED]: 0,
      [REPLAYED]: 1,
      [createSeconds('replayed')]: 1,
      [createSeconds('created')]: 0,
    });
  });

  it('times a refused create as an error and counts no project', async () => {
    const projectId = randomUUID();
    await t.http().post(CREATE_PATH).send(createBody({ projectId })).expect(201);
    const before = await scrape(t);

    await t.http().post(CREATE_PATH).send(createBody({ projectId })).expect(409);

    expect(moved(before, await scrape(t), CREATE_KEYS)).toMatchObject({
      [CREATED_SERVER]: 0,
      [CREATED_CLIENT]: 0,
      [createSeconds('error')]: 1,
    });
  });

  it('reports the connections lent out and the callers waiting for one, when scraped', async () => {
    const dataSource = t.app.get(DataSource);
    const held: QueryRunner[] = [];
    try {
      const idle = await scrape(t);
      expect(idle.get(IN_USE)).toBe(0);
      expect(idle.get(WAITING)).toBe(0);

      for (let i = 0; i < POOL.max; i++) {
        const runner = dataSource.createQueryRunner();
        held.push(runner);
        await runner.connect();
      }
      const waiter = dataSource.createQueryRunner();
      held.push(waiter);
      const waiting = waiter.connect();
      await new Promise((resolve) => setImmediate(resolve));

      const full = await scrape(t);
      expect(full.get(IN_USE)).toBe(POOL.max);
      expect(full.get(WAITING)).toBe(1);

      await held.shift()!.release();
      await waiting;
      const after = await scrape(t);
      expect(after.get(IN_USE)).toBe(POOL.max);
      expect(after.get(WAITING)).toBe(0);
    } finally {
      await Promise.all(held.map((runner) => runner.release()));
    }
    expect((await scrape(t)).get(IN_USE)).toBe(0);
  });
});

describe('GET /metrics with the build worker in the process', () => {
  let t: TestApp;

  /** Waits until this process has counted `outcomes` more finished builds than `before` shows. */
  function buildsFinished(before: Samples, outcomes: number): Promise<true> {
    const count = (samples: Samples) =>
      (samples.get(finished('succeeded')) ?? 0) + (samples.get(finished('failed')) ?? 0);
    return eventually(
      `${outcomes} finished builds`,
      async () => (count(await scrape(t)) >= count(before) + outcomes ? true : undefined),
      20_000,
    );
  }

  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        BUILD_COMMAND: `case "$PROMPT" in fail) echo "it broke" >&2; exit 3 ;; esac
          echo hi > "$OUTPUT_DIR/index.html"`,
        BUILD_MAX_ATTEMPTS: '1',
      },
    });
  });
  afterAll(() => t?.close());

  it('counts a build that succeeded once, with its billed duration and its queue pickup', async () => {
    const before = await scrape(t);

    await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    await buildsFinished(before, 1);

    expect(moved(before, await scrape(t), BUILD_KEYS)).toEqual({
      [finished('succeeded')]: 1,
      [finished('failed')]: 0,
      [buildSeconds('succeeded')]: 1,
      [buildSeconds('failed')]: 0,
      [PICKUP_COUNT]: 1,
    });
  });

  it('counts a build whose last attempt failed as failed', async () => {
    const before = await scrape(t);

    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ prompt: 'fail' }))
      .expect(201);
    await buildsFinished(before, 1);

    expect(moved(before, await scrape(t), BUILD_KEYS)).toEqual({
      [finished('succeeded')]: 0,
      [finished('failed')]: 1,
      [buildSeconds('succeeded')]: 0,
      [buildSeconds('failed')]: 1,
      [PICKUP_COUNT]: 1,
    });
  });

  it('counts an update that queued a build and its Idempotency-Key replay', async () => {
    const body = createBody();
    const first = await scrape(t);
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await buildsFinished(first, 1);
    const before = await scrape(t);
    const update = { userId: body.userId, projectId: created.projectId, prompt: 'Now with a calendar' };
    const key = `metrics-update-${randomUUID()}`;

    await t.http().post(UPDATE_PATH).set('Idempotency-Key', key).send(update).expect(202);
    await t.http().post(UPDATE_PATH).set('Idempotency-Key', key).send(update).expect(202);
    await buildsFinished(before, 1);

    expect(moved(before, await scrape(t), [UPDATES_STARTED, UPDATES_REPLAYED, finished('succeeded')])).toEqual({
      [UPDATES_STARTED]: 1,
      [UPDATES_REPLAYED]: 1,
      [finished('succeeded')]: 1,
    });
  });
});

describe('GET /metrics with webhook endpoints configured', () => {
  let t: TestApp;

  beforeAll(async () => {
    // API only: no dispatcher runs, so a delivery stays pending as recorded.
    t = await startTestApp({
      env: {
        WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/hooks`,
        WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
    });
  });
  afterAll(() => t?.close());

  it('reports the age of the oldest pending delivery, keeps the last value while the pool has no idle connection, and 0 once none is pending', async () => {
    expect((await scrape(t)).get(WEBHOOK_OLDEST)).toBe(0);
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await t.http().delete(`/v1/projects/${created.projectId}`).query({ userId: body.userId }).expect(204);
    const [{ delivery_id: deliveryId }] = await t.db.query<{ delivery_id: string }>(
      `SELECT delivery_id FROM webhook_deliveries WHERE status = 'pending'`,
    );

    const scrapedFrom = Date.now();
    const age = (await scrape(t)).get(WEBHOOK_OLDEST)!;
    expect(age * 1000).toBeGreaterThanOrEqual(scrapedFrom - decodeTime(deliveryId) - 1);
    expect(age * 1000).toBeLessThanOrEqual(Date.now() - decodeTime(deliveryId) + 1);

    const dataSource = t.app.get(DataSource);
    const held: QueryRunner[] = [];
    try {
      for (let i = 0; i < POOL.max; i++) {
        const runner = dataSource.createQueryRunner();
        held.push(runner);
        await runner.connect();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const full = await scrape(t);
      // Waiting for a connection would take up to its timeout, and then read an age grown since.
      expect(Date.now() - started).toBeLessThan(POOL.connectionTimeoutMillis / 2);
      expect(full.get(WEBHOOK_OLDEST)).toBe(age);
      expect(full.get(IN_USE)).toBe(POOL.max);
    } finally {
      await Promise.all(held.map((runner) => runner.release()));
    }
    expect((await scrape(t)).get(WEBHOOK_OLDEST)).toBeGreaterThan(age);

    await t.db.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE delivery_id = $1`, [deliveryId]);
    expect((await scrape(t)).get(WEBHOOK_OLDEST)).toBe(0);
  });
});
