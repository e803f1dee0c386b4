import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { BuildRunnerService } from '../../src/build-worker/build-runner.service';
import { JanitorService } from '../../src/integrity/janitor.service';
import { freePort } from '../../src/net/free-port';
import { WebhookEventInput } from '../../src/webhooks/webhook-event';
import { WebhookOutboxService } from '../../src/webhooks/webhook-outbox.service';
import { billingOfBuild } from '../support/build-billing';
import { createBuiltProject, createProject, CreatedProject } from '../support/integrity-fixtures';
import { persistedState } from '../support/persisted-state';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The outbox is written in the transaction that records the outcome (ADR 040): when a statement
 * after the event fails, the outcome and the event roll back together. An API-only app, whose
 * builds a test runs here; no dispatcher runs, so the rows stay as recorded.
 */

/** The outbox, with a failing statement after each event it records while `armed`. */
@Injectable()
class OutboxFailingAfterRecord extends WebhookOutboxService {
  static armed = false;

  override async record(manager: EntityManager, event: WebhookEventInput): Promise<void> {
    await super.record(manager, event);
    if (OutboxFailingAfterRecord.armed) await manager.query(`SELECT 1 / 0`);
  }
}

describe('webhook events commit and roll back with their outcome', () => {
  let t: TestApp;
  let endpointUrl: string;

  beforeAll(async () => {
    endpointUrl = `http://127.0.0.1:${await freePort()}/hooks`;
    t = await startTestApp({
      env: {
        RATE_LIMIT_PER_MINUTE: '0',
        WEBHOOK_URL: endpointUrl,
        WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
      override: (builder) => builder.overrideProvider(WebhookOutboxService).useClass(OutboxFailingAfterRecord),
    });
  });
  afterEach(() => (OutboxFailingAfterRecord.armed = false));
  afterAll(() => t?.close());

  const run = ({ buildId, projectId, userId, versionId }: CreatedProject) =>
    t.app.get(BuildRunnerService).run({
      data: { buildId, projectId, userId, versionId },
      isLastAttempt: true,
      signal: new AbortController().signal,
    });

  const eventsAbout = (id: string) =>
    t.db.query<{ event_id: string; type: string }>(
      `SELECT event_id, type FROM webhook_events WHERE body LIKE '%' || $1 || '%' ORDER BY event_id`,
      [id],
    );

  it("a build's outcome that rolls back leaves no event, and the outcome recorded later leaves exactly one", async () => {
    const project = await createProject(t);
    OutboxFailingAfterRecord.armed = true;

    await expect(run(project)).rejects.toThrow(/division by zero/);

    expect(await eventsAbout(project.buildId)).toEqual([]);
    expect(await t.db.query(`SELECT 1 FROM webhook_deliveries`)).toEqual([]);
    const [build] = await t.db.query<{ status: string }>(
      `SELECT status FROM project_build_metrics WHERE build_id = $1`,
      [project.buildId],
    );
    expect(build.status).toBe('running');
    expect(await t.db.query(`SELECT 1 FROM project_versions WHERE build_id = $1`, [project.buildId])).toEqual([]);
    expect(await billingOfBuild(t.db, project.buildId)).toEqual({
      session: { status: 'active', seconds_used: null },
      debits: [],
    });

    OutboxFailingAfterRecord.armed = false;
    await run(project);

    const events = await eventsAbout(project.buildId);
    expect(events.map((event) => event.type)).toEqual(['build.succeeded']);
    const deliveries = await t.db.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM webhook_deliveries WHERE event_id = $1`,
      [events[0].event_id],
    );
    expect(deliveries).toEqual([{ status: 'pending', attempts: 0 }]);
  }, 60_000);

  it('a delete that rolls back leaves the project and no project.deleted', async () => {
    const project = await createProject(t);
    OutboxFailingAfterRecord.armed = true;
    const before = await persistedState(t.db, t.projectsRoot);

    await t
      .http({ at: uniqueSecond() })
      .delete(`/v1/projects/${project.projectId}?userId=${project.userId}`)
      .expect(500);

    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    expect(await eventsAbout(project.projectId)).toEqual([]);
  }, 60_000);

  it('an event recorded while a redelivery turns its endpoint back on is sent too: the redelivery waits for it to commit', async () => {
    const outbox = t.app.get(WebhookOutboxService);
    const deleted = (): WebhookEventInput => ({
      type: 'project.deleted',
      data: { projectId: randomUUID(), userId: randomUUID() },
    });
    const deliveryOf = async ({ data }: WebhookEventInput) =>
      (
        await t.db.query<{ delivery_id: string; status: string }>(
          `SELECT delivery_id, status FROM webhook_deliveries JOIN webhook_events USING (event_id)
            WHERE body LIKE '%' || $1 || '%'`,
          ['projectId' in data ? data.projectId : data.userId],
        )
      )[0];
    await t.db.query(`INSERT INTO webhook_endpoints (url, disabled_reason) VALUES ($1, 'answered 410 Gone')`, [
      endpointUrl,
    ]);
    const before = deleted();
    await t.app.get(DataSource).transaction((manager) => outbox.record(manager, before));
    expect(await deliveryOf(before)).toMatchObject({ status: 'disabled' });

    const recording = t.app.get(DataSource).createQueryRunner();
    await recording.connect();
    try {
      await recording.startTransaction();
      const during = deleted();
      await outbox.record(recording.manager, during);
      let answered = false;
      const redelivery = t
        .http()
        .post(`/v1/webhooks/deliveries/${(await deliveryOf(before)).delivery_id}/redeliver`)
        .then((response) => ((answered = true), response));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(answered).toBe(false);

      await recording.commitTransaction();
      expect((await redelivery).status).toBe(202);
      expect(await deliveryOf(before)).toMatchObject({ status: 'pending' });
      expect(await deliveryOf(during)).toMatchObject({ status: 'pending' });
      expect(await t.db.query(`SELECT 1 FROM webhook_endpoints WHERE url = $1`, [endpointUrl])).toEqual([]);
    } finally {
      await recording.release();
    }
  }, 60_000);

  it('retention: the janitor removes settled events older than WEBHOOK_EVENTS_KEPT_DAYS with their deliveries and attempts', async () => {
    const [delivered, failed, pending, recent] = [
      await createBuiltProject(t),
      await createBuiltProject(t),
      await createBuiltProject(t),
      await createBuiltProject(t),
    ];
    const settle = async ({ buildId }: CreatedProject, status: string, daysAgo: number) => {
      const [{ event_id: eventId }] = await eventsAbout(buildId);
      await t.db.query(`UPDATE webhook_events SET created_at = now() - make_interval(days => $2) WHERE event_id = $1`, [
        eventId,
        daysAgo,
      ]);
      await t.db.query(`UPDATE webhook_deliveries SET status = $2, attempts = 1 WHERE event_id = $1`, [
        eventId,
        status,
      ]);
      await t.db.query(
        `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code)
         SELECT delivery_id, 1, now(), 5, 500 FROM webhook_deliveries WHERE event_id = $1`,
        [eventId],
      );
      return eventId;
    };
    const removed = [await settle(delivered, 'delivered', 31), await settle(failed, 'failed', 31)];
    const kept = [await settle(pending, 'pending', 31), await settle(recent, 'delivered', 29)];

    await t.app.get(JanitorService).runOnce();

    const left = async (table: string) =>
      (
        await t.db.query<{ event_id: string }>(
          table === 'webhook_delivery_attempts'
            ? `SELECT event_id FROM webhook_delivery_attempts JOIN webhook_deliveries USING (delivery_id)`
            : `SELECT event_id FROM ${table}`,
        )
      ).map((row) => row.event_id);
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts']) {
      const ids = await left(table);
      for (const eventId of removed) expect(ids).not.toContain(eventId);
      for (const eventId of kept) expect(ids).toContain(eventId);
    }
  }, 60_000);
});
