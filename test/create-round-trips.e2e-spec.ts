import { Client } from 'pg';
import type { QueryConfig } from 'pg';
import { SERVICE_POOL_NAME } from '../src/database/data-source-options';
import { CREATE_PATH, createBody } from './support/requests';
import { startTestApp, TestApp } from './support/test-app';

/**
 * What a create or an update sends to the database (ADR 023): three round trips, each a statement
 * batch of its own. pg sends every `query` call as one round trip (it does not pipeline), so the
 * calls on the transaction pool's connections are the round trips, in order.
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

  const BEGIN_AND_LOCK = expect.stringMatching(/^BEGIN; SET LOCAL lock_timeout = .*SELECT pg_advisory_xact_lock\(/);

  it('a create: BEGIN with the lock, one call of create_project, COMMIT', async () => {
    await t.http().post(CREATE_PATH).send(createBody()).expect(201);

    expect(sent()).toEqual([BEGIN_AND_LOCK, expect.stringMatching(/^SELECT create_project\(/), 'COMMIT']);
  });

  it('a replayed create and a deduplicated one: the same three, and nothing written', async () => {
    const body = createBody();
    await t.http().post(CREATE_PATH).set('Idempotency-Key', 'counted').send(body).expect(201);
    await t.http().post(CREATE_PATH).send(body).expect(201);
    query.mockClear();

    await t.http().post(CREATE_PATH).set('Idempotency-Key', 'counted').send(body).expect(201);
    await t.http().post(CREATE_PATH).send(body).expect(200);

    const call = expect.stringMatching(/^SELECT create_project\(/);
    expect(sent()).toEqual([BEGIN_AND_LOCK, call, 'COMMIT', BEGIN_AND_LOCK, call, 'COMMIT']);
    expect(await t.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [body.userId])).toHaveLength(2);
  });

  it('a refused create (402): BEGIN with the lock, the call, ROLLBACK', async () => {
    const userId = createBody().userId as string;
    await t.db.query(`INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, 0)`, [userId]);

    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(402);

    expect(sent()).toEqual([BEGIN_AND_LOCK, expect.stringMatching(/^SELECT create_project\(/), 'ROLLBACK']);
  });

  it('an update: BEGIN with the lock, one call of update_project, COMMIT', async () => {
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

    expect(sent()).toEqual([BEGIN_AND_LOCK, expect.stringMatching(/^SELECT update_project\(/), 'COMMIT']);
  });
});
