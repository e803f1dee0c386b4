import { randomUUID } from 'node:crypto';
import { userLock } from '../../src/database/advisory-lock';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { ClaimedDelivery } from '../../src/webhooks/claimed-delivery';
import { WebhookDeliveryClaimsService } from '../../src/webhooks/webhook-delivery-claims.service';
import { WebhookOutboxService } from '../../src/webhooks/webhook-outbox.service';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The dispatcher's claim and verdict statements against the real database, many claims at once as
 * many worker processes make them (ADR 040). API-only: no dispatcher runs, the test claims itself.
 */

const FIRST_URL = 'http://127.0.0.1:9/first';
const SECOND_URL = 'http://127.0.0.1:9/second';
const URLS = [FIRST_URL, SECOND_URL];
const LEASE_MS = 60_000;

describe('claiming webhook deliveries', () => {
  let t: TestApp;
  let deliveries: WebhookDeliveryClaimsService;

  beforeAll(async () => {
    t = await startTestApp({
      env: { WEBHOOK_URL: URLS.join(','), WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    });
    deliveries = t.app.get(WebhookDeliveryClaimsService);
  });
  afterAll(() => t?.close());

  /** `count` project.deleted events of one project, one after the other; the project's id. */
  async function eventsOfProject(count: number): Promise<string> {
    const userId = randomUUID();
    const projectId = randomUUID();
    for (let i = 0; i < count; i++) {
      await t.app
        .get(TransactionRunner)
        .inTransaction(userLock(userId), ({ manager }) =>
          t.app.get(WebhookOutboxService).record(manager, { type: 'project.deleted', data: { userId, projectId } }),
        );
    }
    return projectId;
  }

  const orderOf = async (projectId: string, url: string): Promise<string[]> =>
    (
      await t.db.query<{ delivery_id: string }>(
        `SELECT delivery_id FROM webhook_deliveries WHERE ordering_key = $1 AND endpoint_url = $2 ORDER BY delivery_id`,
        [projectId, url],
      )
    ).map((row) => row.delivery_id);

  const answer = { attemptedAt: new Date(), durationMs: 3, statusCode: 500, error: null };

  it('ten claims at once take each due head once: the oldest pending delivery of each endpoint and project', async () => {
    const [first, second] = [await eventsOfProject(3), await eventsOfProject(2)];

    const claims = await Promise.all(Array.from({ length: 10 }, () => deliveries.claim(URLS, 10, LEASE_MS)));
    const claimed = claims.flat();

    const heads = [
      (await orderOf(first, FIRST_URL))[0],
      (await orderOf(first, SECOND_URL))[0],
      (await orderOf(second, FIRST_URL))[0],
      (await orderOf(second, SECOND_URL))[0],
    ];
    expect(claimed.map((delivery) => delivery.deliveryId).sort()).toEqual([...heads].sort());
    expect(claimed.every((delivery) => delivery.attempt === 1)).toBe(true);
    // Inside the lease nothing more is due: the heads are out, and the rest wait their turn.
    expect(await deliveries.claim(URLS, 10, LEASE_MS)).toEqual([]);
    expect(await deliveries.claim([], 10, LEASE_MS)).toEqual([]);
  });

  it("delivering a head makes the project's next delivery to that endpoint due, and only that one", async () => {
    const projectId = await eventsOfProject(2);
    const [head] = (await deliveries.claim(URLS, 10, LEASE_MS)).filter(
      (delivery) => delivery.endpointUrl === FIRST_URL,
    );

    expect(await deliveries.record(head, { ...answer, statusCode: 200 }, { outcome: 'delivered' })).toBe(1);

    const next = await deliveries.claim(URLS, 10, LEASE_MS);
    expect(next.map((delivery) => delivery.deliveryId)).toEqual([(await orderOf(projectId, FIRST_URL))[1]]);
    const [row] = await t.db.query(
      `SELECT status, attempts, last_status_code, delivered_at IS NOT NULL AS delivered FROM webhook_deliveries
        WHERE delivery_id = $1`,
      [head.deliveryId],
    );
    expect(row).toEqual({ status: 'delivered', attempts: 1, last_status_code: 200, delivered: true });
  });

  it('a retry with no delay is due again at once, as the next attempt', async () => {
    await eventsOfProject(1);
    const [claim] = (await deliveries.claim(URLS, 10, LEASE_MS)).filter(
      (delivery) => delivery.endpointUrl === FIRST_URL,
    );

    expect(await deliveries.record(claim, answer, { outcome: 'retried', delayMs: 0 })).toBe(1);

    const again = (await deliveries.claim(URLS, 10, LEASE_MS)).find(
      (delivery) => delivery.deliveryId === claim.deliveryId,
    );
    expect(again?.attempt).toBe(2);
  });

  it("a claim whose lease lapsed is claimed again, and the first claim's late verdict changes nothing but its attempt row", async () => {
    await eventsOfProject(1);
    const byFirstUrl = (claimed: ClaimedDelivery[]) => claimed.find((delivery) => delivery.endpointUrl === FIRST_URL)!;
    const lapsed = byFirstUrl(await deliveries.claim(URLS, 10, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const current = byFirstUrl(await deliveries.claim(URLS, 10, LEASE_MS));
    expect(current).toMatchObject({ deliveryId: lapsed.deliveryId, attempt: 2 });

    expect(await deliveries.record(lapsed, answer, { outcome: 'failed' })).toBe(0);

    const [row] = await t.db.query(`SELECT status, attempts FROM webhook_deliveries WHERE delivery_id = $1`, [
      lapsed.deliveryId,
    ]);
    expect(row).toEqual({ status: 'pending', attempts: 2 });
    expect(
      await t.db.query(`SELECT attempt, status_code FROM webhook_delivery_attempts WHERE delivery_id = $1`, [
        lapsed.deliveryId,
      ]),
    ).toEqual([{ attempt: 1, status_code: 500 }]);
  });
});
