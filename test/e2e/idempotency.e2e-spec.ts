import { randomUUID } from 'node:crypto';
import { IdempotencySweeper } from '../../src/idempotency/idempotency-sweeper';
import { NOTHING, persistedState } from '../support/persisted-state';
import { SigningOptions, uniqueSecond } from '../support/signing';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const REPLAYED = 'idempotent-replayed';

async function projectsOf(t: TestApp, userId: unknown): Promise<string[]> {
  const rows = await t.db.query<{ id: string }>(`SELECT id FROM projects WHERE owner_id = $1 ORDER BY id`, [userId]);
  return rows.map((row) => row.id);
}

describe('Idempotency-Key on create', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const post = (body: Record<string, unknown>, key?: string, signing?: SigningOptions) => {
    const request = t.http(signing).post(CREATE_PATH);
    return (key === undefined ? request : request.set('Idempotency-Key', key)).send(body);
  };

  it('replays the first response (same status and body, Idempotent-Replayed: true) and makes one project', async () => {
    const body = createBody();
    const first = await post(body, 'retry-1');
    const second = await post(body, 'retry-1');

    expect(first.status).toBe(201);
    expect(first.headers[REPLAYED]).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers[REPLAYED]).toBe('true');
    // The very bytes, key order included, not only equal JSON.
    expect(second.text).toBe(first.text);
    expect(await projectsOf(t, body.userId)).toEqual([first.body.projectId]);
  });

  it('gives racing requests with one key one project: one answer creates it, the rest replay it', async () => {
    const body = createBody();
    const responses = await Promise.all(Array.from({ length: 25 }, () => post(body, 'double-click')));

    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(201));
    expect(responses.filter((r) => r.headers[REPLAYED] === undefined)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.text)).size).toBe(1);
    expect(await projectsOf(t, body.userId)).toEqual([responses[0].body.projectId]);
    const state = await persistedState(t.db, t.projectsRoot);
    const [{ count }] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM project_build_metrics WHERE user_id = $1`,
      [body.userId],
    );
    expect(count).toBe(1);
    expect(state.paths.filter((path) => path.startsWith(`${body.userId as string}/`))).toHaveLength(1);
  });

  it('leaves nothing behind for a replay or a dedupe: the directory a fresh id gets first goes again', async () => {
    const body = createBody();
    await post(body, 'replayed-later', { at: uniqueSecond() }).expect(201);
    // Each signed in a second of its own: the same bytes signed anew, not one signature again.
    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(201);
    const before = await persistedState(t.db, t.projectsRoot);

    await post(body, 'replayed-later', { at: uniqueSecond() }).expect(201).expect(REPLAYED, 'true');
    await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(200);

    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('refuses the same key with another body with 422 idempotency_key_reused, writing nothing', async () => {
    const body = createBody();
    await post(body, 'reused').expect(201);
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await post({ ...body, prompt: 'something else' }, 'reused');

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('keeps keys per user: another user with the same key gets a project of their own', async () => {
    const first = await post(createBody(), 'shared-key').expect(201);
    const second = await post(createBody(), 'shared-key').expect(201);
    expect(second.headers[REPLAYED]).toBeUndefined();
    expect(second.body.projectId).not.toBe(first.body.projectId);
  });

  it('forgets a key after 24 hours: the same key then starts a new request', async () => {
    const body = createBody();
    const first = await post(body, 'old-key').expect(201);
    await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key'`);

    const again = await post({ ...body, prompt: 'a day later' }, 'old-key').expect(201);

    expect(again.headers[REPLAYED]).toBeUndefined();
    expect(again.body.projectId).not.toBe(first.body.projectId);
    const replay = await post({ ...body, prompt: 'a day later' }, 'old-key').expect(201);
    expect(replay.body).toEqual(again.body);
  });

  it('sweeps expired keys and keeps fresh ones', async () => {
    await post(createBody(), 'to-expire').expect(201);
    await post(createBody(), 'to-keep').expect(201);
    await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'to-expire'`);

    await t.app.get(IdempotencySweeper).sweep();

    const keys = await t.db.query<{ key: string }>(`SELECT key FROM idempotency_keys WHERE key LIKE 'to-%'`);
    expect(keys).toEqual([{ key: 'to-keep' }]);
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['with a control character (tab)', 'key\twith-tab'],
    ['with a non-ASCII character', 'clé'],
    ['empty', ''],
  ])('refuses a key %s with 400 naming the header, writing nothing', async (_what, key) => {
    const before = await persistedState(t.db, t.projectsRoot);
    const response = await post(createBody(), key);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'Idempotency-Key' }] });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('accepts a key of exactly 255 printable characters', async () => {
    await post(createBody(), `${'~ '.repeat(127)}!`).expect(201);
  });
});

describe('dedupe window without a key', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { DEDUPE_WINDOW_MS: '10000' } });
  });
  afterAll(() => t?.close());

  it('answers an identical create with 200, the first project and deduplicated: true', async () => {
    const body = createBody();
    const first = await t.http().post(CREATE_PATH).send(body).expect(201);
    const second = await t.http().post(CREATE_PATH).send(body).expect(200);

    expect(second.body).toEqual({ ...first.body, deduplicated: true });
    expect(first.body.deduplicated).toBeUndefined();
    expect(await projectsOf(t, body.userId)).toEqual([first.body.projectId]);
  });

  it('turns 25 concurrent identical requests into exactly one project and exactly one 201', async () => {
    const body = createBody();
    const responses = await Promise.all(Array.from({ length: 25 }, () => t.http().post(CREATE_PATH).send(body)));

    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200 && r.body.deduplicated === true)).toHaveLength(24);
    const [projectId] = await projectsOf(t, body.userId);
    expect(responses.every((r) => r.body.projectId === projectId)).toBe(true);
    expect(await projectsOf(t, body.userId)).toHaveLength(1);
  });

  it('keeps different prompts sent at the same moment as separate projects', async () => {
    const userId = randomUUID();
    const responses = await Promise.all(
      ['one', 'two', 'three'].map((prompt) => t.http().post(CREATE_PATH).send(createBody({ userId, prompt }))),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(await projectsOf(t, userId)).toHaveLength(3);
  });

  it('creates a new project for an identical body once the window has passed', async () => {
    const body = createBody();
    const first = await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(201);
    await t.db.query(`UPDATE recent_creates SET created_at = now() - interval '11 seconds' WHERE owner_id = $1`, [
      body.userId,
    ]);

    // Signed anew, as a caller sending it 11 s later would: the same signature again is a replay.
    const later = await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(201);

    expect(later.body.projectId).not.toBe(first.body.projectId);
    expect(await projectsOf(t, body.userId)).toHaveLength(2);
  });

  it('gives one project when identical requests reach two processes on one database', async () => {
    const second = await startTestApp({ database: t.db, env: { PROJECTS_ROOT: t.projectsRoot } });
    try {
      const body = createBody();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? t : second).http().post(CREATE_PATH).send(body)),
      );
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 200)).toHaveLength(9);
      expect(await projectsOf(t, body.userId)).toHaveLength(1);
    } finally {
      await second.app.close();
    }
  });

  it("keeps other users' creates flowing while one user's identical requests storm", async () => {
    const stormBody = createBody();
    const others = Array.from({ length: 20 }, () => createBody());
    const [storm, calm] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, () => t.http().post(CREATE_PATH).send(stormBody))),
      Promise.all(others.map((body) => t.http().post(CREATE_PATH).send(body))),
    ]);

    expect(calm.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(storm.filter((r) => r.status === 201)).toHaveLength(1);
    // Identical clicks join the first in memory; on a slow machine a late one may still be told to retry.
    expect(storm.every((r) => r.status === 200 || r.status === 201 || r.status === 409)).toBe(true);
    expect(await projectsOf(t, stormBody.userId)).toHaveLength(1);
  });
});

describe('dedupe window turned off (DEDUPE_WINDOW_MS=0)', () => {
  it('creates a project for each identical request signed anew, and refuses its signature used again', async () => {
    const t = await startTestApp({ env: { DEDUPE_WINDOW_MS: '0' } });
    try {
      const body = createBody();
      const second = uniqueSecond();
      await t.http({ at: uniqueSecond() }).post(CREATE_PATH).send(body).expect(201);
      await t.http({ at: second }).post(CREATE_PATH).send(body).expect(201);
      const replay = await t.http({ at: second }).post(CREATE_PATH).send(body).expect(401);
      expect(replay.body).toMatchObject({ code: 'signature_replayed' });
      expect(await projectsOf(t, body.userId)).toHaveLength(2);
      expect(await t.db.query(`SELECT * FROM recent_creates`)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('writes nothing for a refused key', async () => {
    const t = await startTestApp({ env: { DEDUPE_WINDOW_MS: '0' } });
    try {
      await t.http().post(CREATE_PATH).set('Idempotency-Key', 'x'.repeat(300)).send(createBody()).expect(400);
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    } finally {
      await t.close();
    }
  });
});

describe('a storm of different requests from one user', () => {
  it.each(['10000', '0'])(
    'does not starve other users (DEDUPE_WINDOW_MS=%s): they wait in memory, not on pooled connections',
    async (window) => {
      const t = await startTestApp({ env: { DEDUPE_WINDOW_MS: window, RATE_LIMIT_PER_MINUTE: '0' } });
      try {
        const userId = createBody().userId;
        const others = Array.from({ length: 20 }, () => createBody());
        const [storm, calm] = await Promise.all([
          Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              t
                .http()
                .post(CREATE_PATH)
                .send(createBody({ userId, prompt: `app ${i}` })),
            ),
          ),
          Promise.all(others.map((body) => t.http().post(CREATE_PATH).send(body))),
        ]);

        expect(calm.map((r) => r.status)).toEqual(Array(20).fill(201));
        // The storm serialises on the user's lock: each request is created or told to retry, never a 5xx.
        expect(storm.every((r) => r.status === 201 || (r.status === 409 && r.headers['retry-after'] === '1'))).toBe(
          true,
        );
        const created = storm.filter((r) => r.status === 201).length;
        expect(created).toBeGreaterThan(0);
        expect(await projectsOf(t, userId)).toHaveLength(created);
      } finally {
        await t.close();
      }
    },
    60_000,
  );
});
