import { randomBytes, randomUUID } from 'node:crypto';
import { freePort } from '../../src/net/free-port';
import { WEBHOOK_USER_AGENT } from '../../src/webhooks/webhook-sender';
import { billingOfBuild } from '../support/build-billing';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';
import { ReceivedWebhook, verified, WebhookReceiver } from '../support/webhook-receiver';

/**
 * Outbound webhooks end to end (ADR 040): builds run by this app's own worker, events delivered by
 * its dispatcher over real HTTP to real receivers, every signature checked by the `standardwebhooks`
 * package. Three endpoints: `main` and `second` receive, `dead` has no one listening.
 */

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
/** A rotation in progress: every request is signed with both. */
const OLD_SECRET = newSecret();
const NEW_SECRET = newSecret();
const WELCOME = 3600;
/** `broken` fails, `slow` runs until it is canceled, anything else succeeds at once. */
const COMMAND = `case "$PROMPT" in *broken*) echo broken >&2; exit 3;; *slow*) sleep 60;; esac; echo ok > "$OUTPUT_DIR/index.html"`;

interface DeliveryRow {
  delivery_id: string;
  endpoint_url: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
}

describe('outbound webhooks', () => {
  let t: TestApp;
  let main: WebhookReceiver;
  let second: WebhookReceiver;
  let deadUrl: string;

  beforeAll(async () => {
    [main, second] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start('/hooks/second')]);
    deadUrl = `http://127.0.0.1:${await freePort()}/nobody-listens`;
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: COMMAND,
        BUILD_MAX_ATTEMPTS: '1',
        RATE_LIMIT_PER_MINUTE: '0',
        AI_TIME_WELCOME_SECONDS: String(WELCOME),
        // Every user's first debit takes the balance below it: each first build also tells ai_time.low.
        AI_TIME_LOW_SECONDS: String(WELCOME),
        WEBHOOK_URL: [main.url, second.url, deadUrl].join(','),
        WEBHOOK_SECRET: `${OLD_SECRET},${NEW_SECRET}`,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([main?.close(), second?.close()]);
  });

  async function create(
    overrides: Record<string, unknown> = {},
  ): Promise<{ userId: string; projectId: string; buildId: string }> {
    const body = createBody(overrides);
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    return { userId: body.userId as string, projectId: created.projectId, buildId: created.buildId };
  }

  const buildStatus = async (buildId: string): Promise<string> =>
    (await t.db.query<{ status: string }>(`SELECT status FROM project_build_metrics WHERE build_id = $1`, [buildId]))[0]
      .status;

  const finished = (buildId: string): Promise<string> =>
    eventually(
      `build ${buildId} finished`,
      async () => {
        const status = await buildStatus(buildId);
        return ['succeeded', 'failed', 'canceled'].includes(status) ? status : undefined;
      },
      30_000,
    );

  /** Each delivery of the events about `id` (a build, project or user id in the event's data). */
  const deliveriesAbout = (id: string, type?: string) =>
    t.db.query<DeliveryRow & { event_id: string; type: string }>(
      `SELECT delivery.*, event.type FROM webhook_deliveries AS delivery JOIN webhook_events AS event USING (event_id)
        WHERE event.body LIKE '%' || $1 || '%' AND ($2::text IS NULL OR event.type = $2)
        ORDER BY delivery.delivery_id`,
      [id, type ?? null],
    );

  /** The delivery of the build's outcome to one endpoint. */
  const deliveryTo = async (url: string, buildId: string) =>
    (await deliveriesAbout(buildId, 'build.succeeded')).find((row) => row.endpoint_url === url);

  const ofType = (requests: ReceivedWebhook[], type: string) => requests.filter(({ event }) => event.type === type);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("delivers a build's success and its failure once each, signed so that the old and the new secret both verify", async () => {
    const good = await create();
    const bad = await create({ prompt: 'broken on purpose' });
    expect(await finished(good.buildId)).toBe('succeeded');
    expect(await finished(bad.buildId)).toBe('failed');

    const [succeeded] = await main.waitFor('build.succeeded', good.buildId, (requests) => requests.length > 0);
    const [failed] = await main.waitFor('build.failed', bad.buildId, (requests) => requests.length > 0);
    await second.waitFor('both on the second endpoint', good.buildId, (requests) => requests.length > 0);
    await second.waitFor('both on the second endpoint', bad.buildId, (requests) => requests.length > 0);
    // Nothing more comes: each was answered 200 the first time.
    await sleep(1500);
    expect(main.about(good.buildId)).toHaveLength(1);
    expect(main.about(bad.buildId)).toHaveLength(1);
    expect(second.about(good.buildId)).toHaveLength(1);

    for (const request of [succeeded, failed]) {
      expect(verified(request, OLD_SECRET)).toEqual(request.event);
      expect(verified(request, NEW_SECRET)).toEqual(request.event);
      expect(() => verified(request, newSecret())).toThrow(/No matching signature/);
      expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT });
      expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    }
    const [versionOf] = await t.db.query<{ version_id: string; seconds: number }>(
      `SELECT version_id, -ledger.seconds AS seconds FROM project_versions JOIN ai_time_ledger AS ledger USING (build_id)
        WHERE build_id = $1`,
      [good.buildId],
    );
    expect(succeeded.event).toEqual({
      type: 'build.succeeded',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { ...good, versionId: versionOf.version_id, status: 'succeeded', secondsBilled: versionOf.seconds },
    });
    expect(failed.event.data).toEqual({
      ...bad,
      status: 'failed',
      error: expect.stringContaining('broken'),
      secondsBilled: expect.any(Number),
    });
    const [event] = await t.db.query<{ event_id: string; body: string }>(
      `SELECT event_id, body FROM webhook_events WHERE type = 'build.succeeded' AND body LIKE '%' || $1 || '%'`,
      [good.buildId],
    );
    expect(succeeded.id).toBe(event.event_id);
    expect(succeeded.body).toBe(event.body);

    const deliveries = await deliveriesAbout(good.buildId, 'build.succeeded');
    expect(deliveries.map(({ endpoint_url, status, attempts }) => ({ endpoint_url, status, attempts }))).toEqual(
      expect.arrayContaining([
        { endpoint_url: main.url, status: 'delivered', attempts: 1 },
        { endpoint_url: second.url, status: 'delivered', attempts: 1 },
      ]),
    );
    const attempts = await t.db.query<{ attempt: number; status_code: number }>(
      `SELECT attempt, status_code FROM webhook_delivery_attempts JOIN webhook_deliveries USING (delivery_id)
        WHERE event_id = $1 AND endpoint_url = $2`,
      [event.event_id, main.url],
    );
    expect(attempts).toEqual([{ attempt: 1, status_code: 200 }]);
  }, 90_000);

  it('tells ai_time.low when a debit takes the balance below AI_TIME_LOW_SECONDS, build.canceled and project.deleted', async () => {
    const slow = await create({ prompt: 'slow on purpose' });
    await eventually(
      'the build running',
      async () => ((await buildStatus(slow.buildId)) === 'running' ? true : undefined),
      30_000,
    );
    await t.http().post(`/v1/builds/${slow.buildId}/cancel`).send({ userId: slow.userId }).expect(200);
    const [canceled] = await main.waitFor('build.canceled', slow.buildId, (requests) => requests.length > 0);
    const { debits } = await billingOfBuild(t.db, slow.buildId);
    expect(canceled.event).toMatchObject({
      type: 'build.canceled',
      data: { ...slow, status: 'canceled', secondsBilled: -debits[0] },
    });

    const [low] = await main.waitFor(
      'ai_time.low',
      slow.userId,
      (requests) => ofType(requests, 'ai_time.low').length > 0,
    );
    expect(low.event).toMatchObject({
      type: 'ai_time.low',
      data: { userId: slow.userId, secondsRemaining: WELCOME + debits[0], thresholdSeconds: WELCOME },
    });

    await t.http({ at: uniqueSecond() }).delete(`/v1/projects/${slow.projectId}?userId=${slow.userId}`).expect(204);
    const requests = await main.waitFor(
      'project.deleted',
      slow.projectId,
      (all) => ofType(all, 'project.deleted').length > 0,
    );
    expect(ofType(requests, 'project.deleted')[0].event.data).toEqual({
      userId: slow.userId,
      projectId: slow.projectId,
    });
    expect(() => verified(ofType(requests, 'project.deleted')[0], NEW_SECRET)).not.toThrow();
    // Only the first debit below the threshold tells: the user's balance stays under it.
    expect(ofType(main.about(slow.userId), 'ai_time.low')).toHaveLength(1);
  }, 90_000);

  it('a receiver down for a while (503, Retry-After) still gets every event, in order per project', async () => {
    let down = true;
    // Retries 3 s apart: a delivery's eight attempts outlast the builds below on a busy machine.
    main.answer = () => (down ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 });
    try {
      const first = await create();
      expect(await finished(first.buildId)).toBe('succeeded');
      const { body: update } = await t
        .http()
        .post('/v1/update-project')
        .send({ userId: first.userId, projectId: first.projectId, prompt: 'Add a calendar' })
        .expect(202);
      expect(await finished(update.buildId)).toBe('succeeded');
      await t.http({ at: uniqueSecond() }).delete(`/v1/projects/${first.projectId}?userId=${first.userId}`).expect(204);
      await main.waitFor('a refused attempt', first.projectId, (requests) => requests.length > 0);
      down = false;

      const order = [first.buildId, update.buildId, first.projectId];
      const requests = await main.waitFor(
        'all three delivered',
        first.projectId,
        (all) => all.some(({ event }) => event.type === 'project.deleted') && !down,
        60_000,
      );
      // Each event's requests come after every request of the one before it: the next waits its turn.
      const positions = requests.map(({ event }) =>
        event.type === 'project.deleted' ? 2 : order.indexOf(event.data.buildId as string),
      );
      expect(positions).toEqual([...positions].sort());
      expect(new Set(positions)).toEqual(new Set([0, 1, 2]));
      for (const request of requests) expect(verified(request, OLD_SECRET)).toEqual(request.event);

      const deliveries = await eventually(
        'delivered',
        async () => {
          const rows = (await deliveriesAbout(first.projectId)).filter((row) => row.endpoint_url === main.url);
          return rows.length === 3 && rows.every((row) => row.status === 'delivered') ? rows : undefined;
        },
        30_000,
      );
      expect(deliveries.map((row) => row.type)).toEqual(['build.succeeded', 'build.succeeded', 'project.deleted']);
      expect(deliveries[0].attempts).toBeGreaterThan(1);
      const refused = await t.db.query<{ status_code: number }>(
        `SELECT status_code FROM webhook_delivery_attempts WHERE delivery_id = (
           SELECT delivery_id FROM webhook_deliveries WHERE event_id = $1 AND endpoint_url = $2) ORDER BY attempt`,
        [deliveries[0].event_id, main.url],
      );
      expect(refused.map((row) => row.status_code)).toEqual([
        ...Array<number>(deliveries[0].attempts - 1).fill(503),
        200,
      ]);
    } finally {
      main.answer = () => ({ status: 200 });
    }
  }, 120_000);

  it("a failing receiver (500 forever, or no one listening) never changes the build's status or billing", async () => {
    const userId = randomUUID();
    main.answer = ({ event }) => (event.data.userId === userId ? { status: 500 } : { status: 200 });
    try {
      const { buildId, projectId } = await create({ userId });
      expect(await finished(buildId)).toBe('succeeded');
      await main.waitFor('a 500', buildId, (requests) => requests.length > 0);
      const rows = await eventually(
        'the attempts recorded',
        async () => {
          const all = await deliveriesAbout(buildId, 'build.succeeded');
          return all.every((row) => row.attempts > 0 && (row.last_status_code !== null || row.last_error !== null))
            ? all
            : undefined;
        },
        30_000,
      );
      const byUrl = new Map(rows.map((row) => [row.endpoint_url, row]));
      expect(byUrl.get(main.url)).toMatchObject({ status: 'pending', last_status_code: 500 });
      expect(byUrl.get(deadUrl)).toMatchObject({ status: 'pending', last_status_code: null });
      expect(byUrl.get(deadUrl)?.last_error).toBeTruthy();
      expect(byUrl.get(second.url)).toMatchObject({ status: 'delivered' });

      const [build] = await t.db.query<{ status: string; error: string | null; duration_ms: number }>(
        `SELECT status, error, duration_ms FROM project_build_metrics WHERE build_id = $1`,
        [buildId],
      );
      expect(build).toMatchObject({ status: 'succeeded', error: null });
      const [project] = await t.db.query<{ build_status: string }>(`SELECT build_status FROM projects WHERE id = $1`, [
        projectId,
      ]);
      expect(project.build_status).toBe('ready');
      const { session, debits } = await billingOfBuild(t.db, buildId);
      expect(session.status).toBe('closed');
      expect(debits).toEqual([-Math.max(1, Math.ceil(build.duration_ms / 1000))]);
      const [balance] = await t.db.query<{ seconds_remaining: number }>(
        `SELECT seconds_remaining FROM ai_time_balances WHERE user_id = $1`,
        [userId],
      );
      expect(balance.seconds_remaining).toBe(WELCOME + debits[0]);
      expect(await t.db.query(`SELECT 1 FROM project_versions WHERE build_id = $1`, [buildId])).toHaveLength(1);

      const { text: metrics } = await t.http().get('/metrics').expect(200);
      expect(metrics).toMatch(/sheen_webhook_deliveries_total\{outcome="retried"\} [1-9]/);
      expect(metrics).toMatch(/sheen_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);
      const oldest = /^sheen_webhook_oldest_undelivered_seconds (\S+)$/m.exec(metrics);
      expect(Number(oldest?.[1])).toBeGreaterThan(0);
    } finally {
      main.answer = () => ({ status: 200 });
    }
  }, 90_000);

  it('410 turns the endpoint off: every delivery pending to it is disabled, it is sent nothing more until a redelivery turns it back on, then everything it missed', async () => {
    const waiting = randomUUID();
    const gone = randomUUID();
    second.answer = ({ event }) => {
      if (event.data.userId === waiting) return { status: 503, headers: { 'retry-after': '3600' } };
      return event.data.userId === gone ? { status: 410 } : { status: 200 };
    };
    const held = await create({ userId: waiting });
    await second.waitFor('held back', held.buildId, (requests) => requests.length > 0);
    const goneBuild = await create({ userId: gone });
    await second.waitFor('answered 410', goneBuild.buildId, (requests) => requests.length > 0);

    const [endpoint] = await eventually(
      'the endpoint turned off',
      async () => {
        const rows = await t.db.query<{ disabled_reason: string }>(`SELECT * FROM webhook_endpoints WHERE url = $1`, [
          second.url,
        ]);
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
    );
    expect(endpoint.disabled_reason).toMatch(/410/);
    const toSecond = await t.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE endpoint_url = $1 GROUP BY status`,
      [second.url],
    );
    expect(toSecond.find((row) => row.status === 'pending')).toBeUndefined();
    const heldRow = await deliveryTo(second.url, held.buildId);
    expect(heldRow).toMatchObject({ status: 'disabled', last_status_code: 503 });
    // The user's ai_time.low may have been answered 410 first and disabled this one in flight: its
    // own answer is recorded when its request ends.
    const goneRow = await eventually(
      'the 410 recorded on the build.succeeded delivery',
      async () => {
        const row = await deliveryTo(second.url, goneBuild.buildId);
        return row?.last_status_code === null ? undefined : row;
      },
      10_000,
    );
    expect(goneRow).toMatchObject({ status: 'disabled', last_status_code: 410, attempts: 1 });

    const requestsBefore = second.received.length;
    const later = await create();
    await main.waitFor('the main endpoint still served', later.buildId, (requests) => requests.length > 0);
    await sleep(1500);
    expect(second.received).toHaveLength(requestsBefore);
    // Written all the same, disabled, so the redelivery that turns the endpoint back on sends it too.
    expect(await deliveryTo(second.url, later.buildId)).toMatchObject({ status: 'disabled', attempts: 0 });

    second.answer = () => ({ status: 200 });
    await t.http().post(`/v1/webhooks/deliveries/${goneRow.delivery_id}/redeliver`).expect(202);
    for (const build of [held, goneBuild, later]) {
      await second.waitFor('sent once the endpoint is back on', build.buildId, (requests) =>
        requests.some(({ event }) => event.type === 'build.succeeded'),
      );
      await eventually(
        'its delivery recorded',
        async () => {
          const row = await deliveryTo(second.url, build.buildId);
          return row?.status === 'delivered' ? row : undefined;
        },
        10_000,
      );
    }
    expect(await t.db.query(`SELECT 1 FROM webhook_endpoints WHERE url = $1`, [second.url])).toHaveLength(0);
  }, 90_000);
});
