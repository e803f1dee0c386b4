import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { QueryConfig } from 'pg';
import { SERVICE_POOL_NAME } from '../../src/database/data-source-options';
import { CREATE_PATH, createBody } from '../support/requests';
import { uniqueSecond } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * What a create or an update sends to the database (ADRs 023, 024, 030, 031): a create, one statement
 * that is its whole transaction and spends its signature too, or, for a legacy caller's own project
 * id, three round trips; an update, the spend of its signature, then one statement. pg sends every `query` call as one round trip (it does not pipeline), so the calls on
 * the service pool's connections are the round trips, in order.
 */
describe('round trips per request', () => {
  let t: TestApp;
  let query: jest.SpyInstance;

  /** The statements sent on the transaction pool's connections since the last clear, in order. */
  const sent = (): string[] =>
    query.mock.calls.flatMap(([text]: [string | QueryConfig], call) => {
      const { connectionParameters } = query.mock.contexts[call] as {
        connectionParameters: { application_name?: string };
      };
      if (connectionParameters.application_name !== SERVICE_POOL_NAME) return [];
      return [typeof text === 'string' ? text : text.text];
    });

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '30' } });
    query = jest.spyOn(Client.prototype, 'query');
  });
  afterAll(async () => {
    query?.mockRestore();
    await t?.close();
  });
  beforeEach(() => query.mockClear());

  const BEGIN_AND_LOCK = expect.stringMatching(/^BEGIN; SELECT pg_advisory_xact_lock\(/);
  /** The one-use signature check of a write that is not a create (SpentSignaturesService), committed asynchronously. */
  const SPEND = expect.stringMatching(/SELECT spent_signatures_spend\(/);
  /** A failed write's signature given back (unused-signatures.ts). */
  const GIVE_BACK = expect.stringMatching(/DELETE FROM spent_signatures WHERE signature = \$1/);
  const locked = (call: string): unknown =>
    expect.stringMatching(
      new RegExp(
        `^WITH locked AS MATERIALIZED \\(SELECT pg_advisory_xact_lock\\(\\$\\d+, \\$\\d+\\)\\) SELECT build_request_settled\\(${call}\\(`,
      ),
    );

  it('a create: one statement, the lock and the call of create_project, which spends the signature', async () => {
    const body = createBody();
    await t.http().post(CREATE_PATH).send(body).expect(201);

    expect(sent()).toEqual([locked('create_project')]);
    expect(await t.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [body.userId])).toHaveLength(1);
  });

  it('a replayed create and a deduplicated one: the same one round trip each, and nothing written', async () => {
    const body = createBody();
    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).set('Idempotency-Key', 'counted').send(body).expect(201);
    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(201);
    query.mockClear();

    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).set('Idempotency-Key', 'counted').send(body).expect(201);
    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(200);

    expect(sent()).toEqual([locked('create_project'), locked('create_project')]);
    expect(await t.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [body.userId])).toHaveLength(2);
  });

  it("a refused create (402): the one statement, which fails and so writes nothing, its signature's spend included", async () => {
    const userId = createBody().userId as string;
    await t.db.query(`INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, 0)`, [userId]);
    const spentSignatures = () => t.db.query(`SELECT count(*)::int AS spent FROM spent_signatures`);
    const before = await spentSignatures();

    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(402);

    expect(sent()).toEqual([locked('create_project')]);
    expect(await spentSignatures()).toEqual(before);
  });

  it('a create with a legacy caller’s own project id: BEGIN with the lock, the call, COMMIT', async () => {
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ projectId: randomUUID() }))
      .expect(201);

    expect(sent()).toEqual([
      BEGIN_AND_LOCK,
      expect.stringMatching(/^SELECT build_request_settled\(create_project\(/),
      'COMMIT',
    ]);
  });

  it('an update: the spend of its signature, then one statement, the lock and the call of update_project', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await t.db.query(`UPDATE project_build_metrics SET status = 'succeeded', finished_at = now() WHERE build_id = $1`, [
      created.buildId,
    ]);
    query.mockClear();

    await t
      .http()
      .post('/v1/update-project')
      .send({ userId: body.userId, projectId: created.projectId, prompt: 'a footer' })
      .expect(202);

    expect(sent()).toEqual([SPEND, locked('update_project')]);
  });

  it('a refused update (404): the spend, the one statement, and the signature given back', async () => {
    await t
      .http()
      .post('/v1/update-project')
      .send({ userId: randomUUID(), projectId: randomUUID(), prompt: 'a footer' })
      .expect(404);

    expect(sent()).toEqual([SPEND, locked('update_project'), GIVE_BACK]);
  });
});
