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
  afterEach(() => services?.killAll());
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

  async function createBuild(): Promise<string> {
    const { body } = await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    return body.buildId as string;
  }

  it('a worker killed between the commit and the answer: a worker started later delivers the event', async () => {
    receiver.answer = () => 'never';
    const first = (await services.startWorker('first', {}, BOOT_MS)).process;
    const buildId = await createBuild();
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

  it('a worker stopped with SIGTERM mid-request exits without waiting for the answer, and the event is due again at once', async () => {
    const { process: worker } = await services.startWorker('stopped', {}, BOOT_MS);
    receiver.answer = () => 'never';
    const buildId = await createBuild();
    await receiver.waitFor('the attempt', buildId, (requests) => requests.length > 0, 60_000);

    const stopping = Date.now();
    worker.signal('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    // Well under WEBHOOK_TIMEOUT_MS (15 s): the open request was aborted, not waited out.
    expect(Date.now() - stopping).toBeLessThan(12_000);

    const [delivery] = await t.db.query<{ status: string; attempts: number; due_now: boolean; last_error: string }>(
      `SELECT delivery.status, attempts, next_attempt_at <= now() AS due_now, last_error
         FROM webhook_deliveries AS delivery JOIN webhook_events USING (event_id)
        WHERE type = 'build.succeeded' AND body LIKE '%' || $1 || '%'`,
      [buildId],
    );
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, due_now: true });
    expect(delivery.last_error).toMatch(/abort/i);

    receiver.answer = () => ({ status: 200 });
    await services.startWorker('after', {}, BOOT_MS);
    await eventually(
      'delivered',
      async () => ((await deliveryOf(buildId)).status === 'delivered' ? true : undefined),
      30_000,
    );
    expect(receiver.about(buildId).filter(({ event }) => event.type === 'build.succeeded')).toHaveLength(2);
  }, 400_000);
});
