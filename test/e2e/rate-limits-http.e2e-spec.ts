import { persistedState } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

describe('POST /v1/create-preview-for-new-project over the per-user rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t?.close());

  it('answers 429 rate_limited with Retry-After once a user has started the limit, writing nothing more', async () => {
    const userId = createBody().userId;
    for (const prompt of ['one', 'two', 'three']) {
      await t.http().post(CREATE_PATH).send(createBody({ userId, prompt })).expect(201);
    }
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'four' }));

    expect(response.status).toBe(429);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('still replays a key and deduplicates an identical body for a user at the limit: repeats start nothing', async () => {
    const userId = createBody().userId;
    const keyed = createBody({ userId, prompt: 'keyed' });
    const first = await t.http().post(CREATE_PATH).set('Idempotency-Key', 'k1').send(keyed).expect(201);
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'two' }))
      .expect(201);
    const third = createBody({ userId, prompt: 'three' });
    await t.http().post(CREATE_PATH).send(third).expect(201);

    const replay = await t.http().post(CREATE_PATH).set('Idempotency-Key', 'k1').send(keyed).expect(201);
    const dedupe = await t.http().post(CREATE_PATH).send(third).expect(200);

    expect(replay.body).toEqual(first.body);
    expect(dedupe.body.deduplicated).toBe(true);
  });

  it('limits each user on their own', async () => {
    const busy = createBody().userId;
    for (const prompt of ['a', 'b', 'c'])
      await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId: busy, prompt }));
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId: busy, prompt: 'd' }))
      .expect(429);
    await t.http().post(CREATE_PATH).send(createBody()).expect(201);
  });
});

describe('with RATE_LIMIT_PER_MINUTE=0', () => {
  it('never refuses', async () => {
    const t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    try {
      const userId = createBody().userId;
      for (let i = 0; i < 5; i++) {
        await t
          .http()
          .post(CREATE_PATH)
          .send(createBody({ userId, prompt: `app ${i}` }))
          .expect(201);
      }
      expect(await t.db.query(`SELECT * FROM rate_limits`)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
