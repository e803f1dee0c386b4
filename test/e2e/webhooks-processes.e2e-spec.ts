import { randomBytes } from 'node:crypto';
import { billingOfBuild } from '../support/build-billing';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { startTestApp, TestApp } from '../support/test-app';
import { verified, WebhookReceiver } from '../support/webhook-receiver';

/**
 * At least once across processes (ADR 040): a worker process SIGKILLed while it sends an event
 * (its outcome committed, its delivery claimed but never answered) loses nothing: once the claim's
 * lease lapses, another worker process sends the same event again, under the same webhook-id.
 */

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
/** ts-node transpiles src/ as a process boots: on 2 busy cores that alone can take 20 s and more. */
const BOOT_MS = 120_000;

describe('webhook delivery across worker processes', () => {
  let t: TestApp;
  let services: ServiceProcesses;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    // HTTP only: every build, and so every build's event, is recorded by a worker process.
    t = await startTestApp();
    services = await ServiceProcesses.open('webhooks', {
      on: t,
      env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_LEASE_MS: '20000' },
    });
  });
  afterAll(async () => {
    await services?.close();
    await t?.close();
    await receiver?.close();
  });

  const deliveryOf = async (buildId: string) =>
    (
      await t.db.query<{ delivery_id: string; status: string; attempts: number }>(
        `SELECT delivery_id, delivery.status, attempts FROM webhook_deliveries AS delivery
           JOIN webhook_events USING (event_id)
          WHERE type = 'build.succeeded' AND body LIKE '%' || $1 || '%'`,
        [buildId],
      )
    )[0];

  it('a worker killed between the commit and the answer: a worker started later delivers the event', async () => {
    receiver.answer = () => 'never';
    const first = (await services.startWorker('first', {}, BOOT_MS)).process;
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const buildId = created.buildId as string;
    const [sent] = await receiver.waitFor('the first attempt', buildId, (requests) => requests.length > 0, 60_000);

    first.signal('SIGKILL');
    await first.exited;
    expect(await deliveryOf(buildId)).toMatchObject({ status: 'pending', attempts: 1 });

    receiver.answer = () => ({ status: 200 });
    await services.startWorker('second', {}, BOOT_MS);
    const requests = await receiver.waitFor('sent again', buildId, (all) => all.length > 1, 90_000);
    const delivery = await eventually(
      'delivered',
      async () => {
        const row = await deliveryOf(buildId);
        return row.status === 'delivered' ? row : undefined;
      },
      30_000,
    );

    expect(requests).toHaveLength(2);
    expect(requests[1].id).toBe(sent.id);
    expect(requests[1].body).toBe(sent.body);
    for (const request of requests) expect(verified(request, SECRET)).toEqual(sent.event);
    expect(delivery.attempts).toBe(2);
    // The killed attempt never recorded an answer; the second did.
    expect(
      await t.db.query(`SELECT attempt, status_code FROM webhook_delivery_attempts WHERE delivery_id = $1`, [
        delivery.delivery_id,
      ]),
    ).toEqual([{ attempt: 2, status_code: 200 }]);
    const [build] = await t.db.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM project_build_metrics WHERE build_id = $1`,
      [buildId],
    );
    expect(build).toEqual({ status: 'succeeded', attempts: 1 });
    expect((await billingOfBuild(t.db, buildId)).debits).toHaveLength(1);
  }, 400_000);
});
