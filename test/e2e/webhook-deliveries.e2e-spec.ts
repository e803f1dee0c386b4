import { randomUUID } from 'node:crypto';
import { createWorkerClient, WorkerApiError } from '../../src/client/worker-client';
import { newUlid, ULID_PATTERN } from '../../src/ids/ids';
import { encodeProjectCursor } from '../../src/projects/project-cursor';
import { noNulls } from '../support/no-nulls';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DELIVERIES = '/v1/webhooks/deliveries';
const RECEIVER = 'https://receiver.example.com/api/sheen-webhooks';
const OTHER_RECEIVER = 'https://other.example.com/hooks';

interface DeliveryRow {
  delivery_id: string;
  event_id: string;
  endpoint_url: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
}

interface Page {
  items: { deliveryId: string; eventId: string; status: string }[];
  nextCursor?: string;
}

/** What H1's outbox writes: an event and one delivery per endpoint (its writer is not on this branch). */
async function recordEvent(
  t: TestApp,
  endpoints: { url: string; status?: string; attempts?: number; deliveredAt?: boolean }[],
  event: { type?: string; userId?: string; projectId?: string | null } = {},
): Promise<{ eventId: string; body: string; deliveryIds: string[] }> {
  const eventId = newUlid();
  const { type = 'build.succeeded', userId = randomUUID(), projectId = randomUUID() } = event;
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { userId, projectId } });
  await t.db.query(
    `INSERT INTO webhook_events (event_id, type, user_id, project_id, body) VALUES ($1, $2, $3, $4, $5)`,
    [eventId, type, userId, projectId, body],
  );
  const deliveryIds: string[] = [];
  for (const { url, status = 'pending', attempts = 0, deliveredAt = false } of endpoints) {
    const deliveryId = newUlid();
    deliveryIds.push(deliveryId);
    await t.db.query(
      `INSERT INTO webhook_deliveries (delivery_id, event_id, endpoint_url, ordering_key, status, attempts,
                                       next_attempt_at, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + interval '1 hour', CASE WHEN $7 THEN now() END)`,
      [deliveryId, eventId, url, projectId ?? userId, status, attempts, deliveredAt],
    );
  }
  return { eventId, body, deliveryIds };
}

async function deliveryRow(t: TestApp, deliveryId: string): Promise<DeliveryRow> {
  const [row] = await t.db.query<DeliveryRow>(`SELECT * FROM webhook_deliveries WHERE delivery_id = $1`, [deliveryId]);
  return row;
}

/** Every webhook row, to show a refused request changed none. */
async function webhookTables(t: TestApp): Promise<unknown[]> {
  return t.db.query(
    `SELECT (SELECT json_agg(d ORDER BY delivery_id) FROM webhook_deliveries d) AS deliveries,
            (SELECT json_agg(a ORDER BY delivery_id, attempt) FROM webhook_delivery_attempts a) AS attempts,
            (SELECT json_agg(e ORDER BY url) FROM webhook_endpoints e) AS endpoints`,
  );
}

function expectProblem(response: { headers: Record<string, string>; body: { code: string } }, code: string): void {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

describe('webhook deliveries', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  describe('GET /v1/webhooks/deliveries', () => {
    it('answers a delivery with its event, status, times and every attempt, absent fields rather than null', async () => {
      const userId = randomUUID();
      const projectId = randomUUID();
      const {
        eventId,
        body: sent,
        deliveryIds,
      } = await recordEvent(t, [{ url: RECEIVER, status: 'delivered', attempts: 2 }], {
        type: 'build.failed',
        userId,
        projectId,
      });
      const [deliveryId] = deliveryIds;
      await t.db.query(`UPDATE webhook_deliveries SET delivered_at = now() WHERE delivery_id = $1`, [deliveryId]);
      await t.db.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error)
         VALUES ($1, 2, now(), 87, 200, NULL), ($1, 1, now() - interval '5 seconds', 15000, NULL, 'timeout after 15000 ms')`,
        [deliveryId],
      );

      const { body } = await t.http().get(DELIVERIES).query({ limit: 1 }).expect(200).expect(noNulls);

      expect(body.items).toEqual([
        {
          deliveryId,
          eventId,
          type: 'build.failed',
          userId,
          projectId,
          endpointUrl: RECEIVER,
          status: 'delivered',
          attempts: 2,
          createdAt: expect.stringMatching(ISO_DATE),
          deliveredAt: expect.stringMatching(ISO_DATE),
          event: JSON.parse(sent),
          attemptsMade: [
            {
              attempt: 1,
              attemptedAt: expect.stringMatching(ISO_DATE),
              durationMs: 15000,
              error: 'timeout after 15000 ms',
            },
            { attempt: 2, attemptedAt: expect.stringMatching(ISO_DATE), durationMs: 87, statusCode: 200 },
          ],
        },
      ]);
    });

    it('shows when a pending delivery is due, and a user event without a project', async () => {
      const {
        deliveryIds: [deliveryId],
      } = await recordEvent(t, [{ url: RECEIVER }], { type: 'ai_time.low', projectId: null });

      const { body } = await t.http().get(DELIVERIES).query({ limit: 1 }).expect(200);

      expect(body.items[0]).toMatchObject({ deliveryId, status: 'pending', attemptsMade: [] });
      expect(body.items[0].nextAttemptAt).toMatch(ISO_DATE);
      expect(body.items[0]).not.toHaveProperty('projectId');
      expect(body.items[0]).not.toHaveProperty('deliveredAt');
    });

    it('pages through every delivery newest first, each once, following nextCursor, while new ones are recorded', async () => {
      const { deliveryIds } = await recordEvent(t, [{ url: RECEIVER }, { url: OTHER_RECEIVER }]);
      for (let i = 0; i < 3; i++) deliveryIds.push(...(await recordEvent(t, [{ url: RECEIVER }])).deliveryIds);
      const [{ count }] = await t.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_deliveries`);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const { body } = (await t.http().get(DELIVERIES).query({ limit: 2, cursor }).expect(200)) as { body: Page };
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((item) => item.deliveryId));
        // Recorded after the first page: newer than it, so never on a later page.
        if (cursor === undefined) await recordEvent(t, [{ url: RECEIVER }]);
        cursor = body.nextCursor;
      } while (cursor !== undefined);

      expect(seen).toHaveLength(count);
      expect(new Set(seen).size).toBe(count);
      expect(seen).toEqual([...seen].sort().reverse());
      expect(seen.slice(0, 5)).toEqual([...deliveryIds].reverse());
    });

    it('answers the last page without nextCursor, and a limit of 100 at most by default 20', async () => {
      const { body } = await t.http().get(DELIVERIES).expect(200);
      const [{ count }] = await t.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_deliveries`);
      expect(body.items).toHaveLength(Math.min(count, 20));
      expect(body).not.toHaveProperty('nextCursor');
    });

    it.each([
      ['limit 0', { limit: '0' }, 'limit'],
      ['limit 101', { limit: '101' }, 'limit'],
      ['a limit that is not a whole number', { limit: '1e2' }, 'limit'],
      ['a cursor this API did not give', { cursor: 'not-a-cursor' }, 'cursor'],
      ['a bare delivery id as cursor', { cursor: '01JDRZ9A7C3M5P8R2T4V6X8Z0B' }, 'cursor'],
      [
        "a project list's cursor",
        { cursor: encodeProjectCursor({ createdAt: '2025-11-25T10:15:30.123456Z', id: randomUUID() }) },
        'cursor',
      ],
      ['an unknown parameter', { userId: randomUUID() }, 'userId'],
    ])('answers 400 validation_failed for %s', async (_case, query, field) => {
      const response = await t.http().get(DELIVERIES).query(query).expect(400).expect(noNulls);
      expectProblem(response, 'validation_failed');
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('answers 401 to an unsigned request', async () => {
      expectProblem(await t.unsigned().get(DELIVERIES).expect(401), 'unauthorized');
    });
  });

  describe('POST /v1/webhooks/deliveries/:deliveryId/redeliver', () => {
    it('makes a delivered delivery pending and due now, the same event, its attempts counting on', async () => {
      const {
        eventId,
        deliveryIds: [deliveryId],
      } = await recordEvent(t, [{ url: RECEIVER, status: 'delivered', attempts: 1, deliveredAt: true }]);

      const { body } = await t.http().post(`${DELIVERIES}/${deliveryId}/redeliver`).expect(202).expect(noNulls);

      expect(body).toMatchObject({ deliveryId, eventId, status: 'pending', attempts: 1, endpointUrl: RECEIVER });
      expect(body).not.toHaveProperty('deliveredAt');
      const row = await deliveryRow(t, deliveryId);
      expect(row).toMatchObject({ event_id: eventId, status: 'pending', attempts: 1, delivered_at: null });
      expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now());
      expect(new Date(body.nextAttemptAt).getTime()).toBe(row.next_attempt_at.getTime());
    });

    it('makes a failed delivery pending again, and accepts a lower-case id', async () => {
      const {
        deliveryIds: [deliveryId],
      } = await recordEvent(t, [{ url: OTHER_RECEIVER, status: 'failed', attempts: 8 }]);

      await t.http().post(`${DELIVERIES}/${deliveryId.toLowerCase()}/redeliver`).expect(202);

      expect(await deliveryRow(t, deliveryId)).toMatchObject({ status: 'pending', attempts: 8 });
    });

    it("turns a 410'd endpoint back on and makes its disabled deliveries pending in order, leaving other endpoints' alone", async () => {
      const gone = 'https://gone.example.com/hooks';
      const projectId = randomUUID();
      const first = await recordEvent(t, [{ url: gone, status: 'disabled', attempts: 1 }], { projectId });
      const second = await recordEvent(t, [{ url: gone, status: 'disabled' }], { projectId });
      const delivered = await recordEvent(t, [{ url: gone, status: 'delivered', deliveredAt: true }], { projectId });
      const elsewhere = await recordEvent(t, [{ url: OTHER_RECEIVER, status: 'disabled' }]);
      await t.db.query(`INSERT INTO webhook_endpoints (url, disabled_reason) VALUES ($1, '410 Gone')`, [gone]);
      await t.db.query(`INSERT INTO webhook_endpoints (url, disabled_reason) VALUES ($1, '410 Gone')`, [
        OTHER_RECEIVER,
      ]);

      const { body } = await t
        .http()
        .post(`${DELIVERIES}/${second.deliveryIds[0]}/redeliver`)
        .expect(202)
        .expect(noNulls);

      expect(body).toMatchObject({ deliveryId: second.deliveryIds[0], status: 'pending' });
      expect(await t.db.query(`SELECT url FROM webhook_endpoints ORDER BY url`)).toEqual([{ url: OTHER_RECEIVER }]);
      const rows = await t.db.query<DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE endpoint_url = $1 ORDER BY delivery_id`,
        [gone],
      );
      expect(rows.map(({ delivery_id, status, attempts }) => ({ delivery_id, status, attempts }))).toEqual([
        { delivery_id: first.deliveryIds[0], status: 'pending', attempts: 1 },
        { delivery_id: second.deliveryIds[0], status: 'pending', attempts: 0 },
        { delivery_id: delivered.deliveryIds[0], status: 'delivered', attempts: 0 },
      ]);
      for (const row of rows.filter(({ status }) => status === 'pending')) {
        expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now());
      }
      expect(await deliveryRow(t, elsewhere.deliveryIds[0])).toMatchObject({ status: 'disabled' });
    });

    it('answers 404 delivery_not_found for an unknown delivery, and changes nothing', async () => {
      await recordEvent(t, [{ url: RECEIVER, status: 'disabled' }]);
      await t.db.query(
        `INSERT INTO webhook_endpoints (url, disabled_reason) VALUES ($1, '410 Gone') ON CONFLICT DO NOTHING`,
        [RECEIVER],
      );
      const before = await webhookTables(t);

      const response = await t.http().post(`${DELIVERIES}/${newUlid()}/redeliver`).expect(404).expect(noNulls);

      expectProblem(response, 'delivery_not_found');
      expect(await webhookTables(t)).toEqual(before);
    });

    it('answers 400 validation_failed for a malformed id, and changes nothing', async () => {
      await recordEvent(t, [{ url: RECEIVER, status: 'delivered', deliveredAt: true }]);
      const before = await webhookTables(t);

      expectProblem(await t.http().post(`${DELIVERIES}/not-a-ulid/redeliver`).expect(400), 'validation_failed');
      expect(await webhookTables(t)).toEqual(before);
    });

    it('answers 401 unsigned, and to the same signature again, and changes nothing then', async () => {
      const {
        deliveryIds: [deliveryId],
      } = await recordEvent(t, [{ url: RECEIVER, status: 'delivered', deliveredAt: true }]);
      const path = `${DELIVERIES}/${deliveryId}/redeliver`;
      const before = await webhookTables(t);
      expectProblem(await t.unsigned().post(path).expect(401), 'unauthorized');
      expect(await webhookTables(t)).toEqual(before);

      const at = uniqueSecond();
      await t.http({ at }).post(path).expect(202);
      await t.db.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE delivery_id = $1`, [deliveryId]);
      expectProblem(await t.http({ at }).post(path).expect(401), 'signature_replayed');
      expect(await deliveryRow(t, deliveryId)).toMatchObject({ status: 'delivered' });
    });
  });

  describe('through the typed client', () => {
    it('lists a page and redelivers a delivery, and throws WorkerApiError delivery_not_found for an unknown one', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const worker = createWorkerClient({ baseUrl: await t.app.getUrl(), secret: t.secret });
      const {
        deliveryIds: [deliveryId],
      } = await recordEvent(t, [{ url: RECEIVER, status: 'failed', attempts: 8 }]);

      const page = await worker.listWebhookDeliveries({ limit: 1 });
      expect(page.items.map((item) => item.deliveryId)).toEqual([deliveryId]);
      expect(page.nextCursor).toEqual(expect.any(String));
      const next = await worker.listWebhookDeliveries({ limit: 1, cursor: page.nextCursor });
      expect(next.items[0].deliveryId < deliveryId).toBe(true);

      expect(await worker.redeliverWebhook(deliveryId)).toMatchObject({ deliveryId, status: 'pending', attempts: 8 });
      expect(await deliveryRow(t, deliveryId)).toMatchObject({ status: 'pending' });
      const unknown = await worker.redeliverWebhook(newUlid()).catch((error: unknown) => error);
      expect(unknown).toBeInstanceOf(WorkerApiError);
      expect(unknown).toMatchObject({ status: 404, code: 'delivery_not_found' });
    });
  });

  it('lists each id as a ULID', async () => {
    const { body } = (await t.http().get(DELIVERIES).expect(200)) as { body: Page };
    for (const item of body.items) {
      expect(item.deliveryId).toMatch(ULID_PATTERN);
      expect(item.eventId).toMatch(ULID_PATTERN);
    }
  });
});
