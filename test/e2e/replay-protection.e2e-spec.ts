import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { computeSignature, SIGNATURE_HEADER, SignedRequest, TIMESTAMP_HEADER } from '../../src/http/request-signature';
import { SpentSignaturesService } from '../../src/http/spent-signatures.service';
import { persistedState } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { uniqueSecond, signed, TEST_SECRET } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

const UPDATE_PATH = '/v1/update-project';
const REPLAYED = 'idempotent-replayed';
const grantsPath = (userId: string) => `/v1/billing/${userId}/grants`;

/** A request exactly as captured on the wire: its method, path, body bytes and headers. */
interface Captured {
  method: 'POST' | 'DELETE';
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** Signs a request as a caller would, at `at`, and keeps it to be sent (again) as it is. */
function capture(
  method: Captured['method'],
  path: string,
  body: object | undefined,
  { key, at = uniqueSecond(), version = 'v1' }: { key?: string; at?: number; version?: 'v1' | 'v2' } = {},
): Captured {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const request: SignedRequest = { method, pathWithQuery: path, body: raw, idempotencyKey: key };
  const headers = {
    ...(body !== undefined && { 'Content-Type': 'application/json' }),
    ...(key !== undefined && { 'Idempotency-Key': key }),
    ...signed(TEST_SECRET, request, at, version),
  };
  return { method, path, body: raw, headers };
}

/** Sends a captured request to `app`, byte for byte, with any header changed. */
function send(app: TestApp, captured: Captured, headers: Record<string, string> = {}): Test {
  const test = captured.method === 'POST' ? app.unsigned().post(captured.path) : app.unsigned().delete(captured.path);
  const withHeaders = test.set({ ...captured.headers, ...headers });
  return captured.body === '' ? withHeaders : withHeaders.send(captured.body);
}

const replayRefused = { status: 401, code: 'signature_replayed', title: 'Signature already used' };

describe('replay-proof writes: a signature is spent by its request', () => {
  let t: TestApp;
  /** A second API process on the same database, as behind a load balancer. */
  let other: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '600' } });
    other = await startTestApp({ database: t.db, env: { AI_TIME_WELCOME_SECONDS: '600' } });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const balanceOf = async (userId: string) =>
    (await t.http().get(`/v1/billing/${userId}/balance`).expect(200)).body.secondsRemaining as number;

  /** A fresh user's project with its first build marked finished, so an update may start. */
  async function idleProject() {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    await t.db.query(`UPDATE project_build_metrics SET status = 'succeeded', finished_at = now() WHERE build_id = $1`, [
      created.buildId,
    ]);
    return { userId: body.userId as string, projectId: created.projectId as string };
  }

  describe.each([
    ['the same API process', () => t],
    ['another API process', () => other],
  ])('sent again to %s', (_where, replayTarget) => {
    it('refuses a captured grant: 401 signature_replayed, and the balance moves once', async () => {
      const userId = randomUUID();
      const grant = capture('POST', grantsPath(userId), { seconds: 60, reason: 'Top-up' });
      await send(t, grant).expect(201);
      const granted = await balanceOf(userId);

      const replays = await Promise.all([1, 2, 3, 4].map(() => send(replayTarget(), grant)));

      for (const replay of replays) {
        expect(replay.status).toBe(401);
        expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(replay.body).toMatchObject(replayRefused);
      }
      expect(await balanceOf(userId)).toBe(granted);
    });

    it('refuses a captured keyless create once the dedupe window is over, and makes no second project', async () => {
      const body = createBody();
      const create = capture('POST', CREATE_PATH, body);
      await send(t, create).expect(201);
      await t.db.query(`UPDATE spent_signatures SET spent_at = spent_at - interval '11 seconds'`);
      const before = await persistedState(t.db, t.projectsRoot);

      const replay = await send(replayTarget(), create);

      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject(replayRefused);
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('refuses a captured click that was answered deduplicated, once the project it was answered with is out of the window', async () => {
      const body = createBody();
      await send(t, capture('POST', CREATE_PATH, body)).expect(201);
      const click = capture('POST', CREATE_PATH, body);
      expect((await send(t, click).expect(200)).body).toMatchObject({ deduplicated: true });
      // The click's own signature was spent just now; the project it was deduplicated to is older.
      await t.db.query(
        `UPDATE recent_creates SET created_at = created_at - interval '11 seconds' WHERE owner_id = $1`,
        [body.userId],
      );
      const before = await persistedState(t.db, t.projectsRoot);

      const replay = await send(replayTarget(), click);

      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject(replayRefused);
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('refuses a captured update, whether its build is still queued or not', async () => {
      const { userId, projectId } = await idleProject();
      const update = capture('POST', UPDATE_PATH, { userId, projectId, prompt: 'Add a contact form' });
      await send(t, update).expect(202);

      const replay = await send(replayTarget(), update);

      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject(replayRefused);
      const builds = await t.db.query(`SELECT 1 FROM project_build_metrics WHERE project_id = $1`, [projectId]);
      expect(builds).toHaveLength(2);
    });

    it('refuses a captured delete', async () => {
      const { userId, projectId } = await idleProject();
      const remove = capture('DELETE', `/v1/projects/${projectId}?userId=${userId}`, undefined);
      await send(t, remove).expect(204);

      const replay = await send(replayTarget(), remove);

      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject(replayRefused);
    });

    it('refuses a captured create resent under a fresh Idempotency-Key: one project, not two', async () => {
      const body = createBody();
      const create = capture('POST', CREATE_PATH, body, { key: 'first-key' });
      await send(t, create).expect(201);

      const replays = await Promise.all(
        ['second-key', 'third-key'].map((key) => send(replayTarget(), create, { 'Idempotency-Key': key })),
      );

      for (const replay of replays) expect(replay.body).toMatchObject(replayRefused);
      const projects = await t.db.query(`SELECT 1 FROM projects WHERE owner_id = $1`, [body.userId]);
      expect(projects).toHaveLength(1);
    });

    it('answers the very same keyed request with its stored answer: it can cause nothing new', async () => {
      const userId = randomUUID();
      const grant = capture('POST', grantsPath(userId), { seconds: 30, reason: 'Promo' }, { key: 'promo-1' });
      const first = await send(t, grant).expect(201);

      const again = await send(replayTarget(), grant).expect(201);

      expect(again.headers[REPLAYED]).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await balanceOf(userId)).toBe(630);
    });
  });

  it('refuses a v2 signature sent with another Idempotency-Key than it covers: 401 unauthorized, nothing created', async () => {
    const body = createBody();
    const create = capture('POST', CREATE_PATH, body, { key: 'covered-key', version: 'v2' });

    const swapped = await send(t, create, { 'Idempotency-Key': 'swapped-key' });

    expect(swapped.status).toBe(401);
    expect(swapped.body).toMatchObject({ code: 'unauthorized', detail: 'The signature does not match this request.' });
    expect(await t.db.query(`SELECT 1 FROM projects WHERE owner_id = $1`, [body.userId])).toEqual([]);
    await send(t, create).expect(201);
  });

  it('lets an honest retry through: the same key signed anew replays, and the balance moves once', async () => {
    const userId = randomUUID();
    const body = { seconds: 45, reason: 'Plan renewal' };
    const first = await send(t, capture('POST', grantsPath(userId), body, { key: 'renewal-7', at: uniqueSecond() }));
    const retry = await send(
      other,
      capture('POST', grantsPath(userId), body, { key: 'renewal-7', at: uniqueSecond() }),
    );

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers[REPLAYED]).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await balanceOf(userId)).toBe(645);
    const ledger = await t.db.query(`SELECT seconds FROM ai_time_ledger WHERE user_id = $1 AND kind = 'grant'`, [
      userId,
    ]);
    expect(ledger).toEqual([{ seconds: 45 }]);
  });

  describe('a write that failed gives its signature back: one effect per signature, not one attempt', () => {
    it('a keyless update refused 409 build_in_progress: the same bytes act once that build ended, then are refused', async () => {
      const { userId, projectId } = await idleProject();
      const running = await send(t, capture('POST', UPDATE_PATH, { userId, projectId, prompt: 'first' })).expect(202);
      const update = capture('POST', UPDATE_PATH, { userId, projectId, prompt: 'second' });
      await send(t, update).expect(409);
      await t.db.query(
        `UPDATE project_build_metrics SET status = 'succeeded', finished_at = now() WHERE build_id = $1`,
        [running.body.buildId],
      );

      const resent = await send(other, update);
      const again = await send(t, update);

      expect(resent.status).toBe(202);
      expect(again.status).toBe(401);
      expect(again.body).toMatchObject(replayRefused);
      const builds = await t.db.query(`SELECT 1 FROM project_build_metrics WHERE project_id = $1`, [projectId]);
      expect(builds).toHaveLength(3);
    });

    it('a keyed create refused 402: after a top-up the same bytes make one project, then replay it', async () => {
      const userId = randomUUID();
      await t.db.query(`INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, 0)`, [userId]);
      const create = capture('POST', CREATE_PATH, createBody({ userId }), { key: 'after-402' });
      await send(t, create).expect(402);
      await t.http().post(grantsPath(userId)).send({ seconds: 60, reason: 'Top-up' }).expect(201);

      const resent = await send(other, create).expect(201);
      const again = await send(t, create).expect(201);

      expect(resent.headers[REPLAYED]).toBeUndefined();
      expect(again.headers[REPLAYED]).toBe('true');
      expect(again.body).toEqual(resent.body);
      expect(await t.db.query(`SELECT 1 FROM projects WHERE owner_id = $1`, [userId])).toHaveLength(1);
    });

    it('a grant refused 400 (over the balance’s maximum): once it fits, the same bytes grant once, then are refused', async () => {
      const userId = randomUUID();
      await t.db.query(`INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES ($1, 2147483600)`, [userId]);
      const grant = capture('POST', grantsPath(userId), { seconds: 60, reason: 'Too much' });
      await send(t, grant).expect(400);
      await t.db.query(`UPDATE ai_time_balances SET seconds_remaining = 1000 WHERE user_id = $1`, [userId]);

      await send(other, grant).expect(201);
      const again = await send(t, grant);

      expect(again.status).toBe(401);
      expect(again.body).toMatchObject(replayRefused);
      expect(await balanceOf(userId)).toBe(1060);
    });
  });

  it('refuses the same key with another grant: 422 idempotency_key_reused, nothing granted', async () => {
    const userId = randomUUID();
    await send(t, capture('POST', grantsPath(userId), { seconds: 10, reason: 'a' }, { key: 'k' })).expect(201);

    const reused = await send(t, capture('POST', grantsPath(userId), { seconds: 99, reason: 'b' }, { key: 'k' }));

    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await balanceOf(userId)).toBe(610);
  });

  it('answers an identical keyless double-click inside the dedupe window as the contract says: 201, then 200 deduplicated', async () => {
    const body = createBody();
    const create = capture('POST', CREATE_PATH, body);

    const clicks = await Promise.all([1, 2, 3].map((i) => send(i === 2 ? other : t, create)));

    expect(clicks.map((click) => click.status).sort()).toEqual([200, 200, 201]);
    const projectIds = new Set(clicks.map((click) => (click.body as { projectId: string }).projectId));
    expect(projectIds.size).toBe(1);
    for (const click of clicks.filter((c) => c.status === 200)) expect(click.body.deduplicated).toBe(true);
  });

  it('spends the signature of each of two identical creates in flight under different signatures: one project, and neither may be sent again later', async () => {
    const body = createBody();
    const first = capture('POST', CREATE_PATH, body, { key: 'two-signatures' });
    const second = capture('POST', CREATE_PATH, body, { key: 'two-signatures' });

    const answers = await Promise.all([send(t, first), send(t, second)]);

    expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    expect(new Set(answers.map((answer) => (answer.body as { projectId: string }).projectId)).size).toBe(1);
    const spent = await t.db.query<{ uses: number }>(
      `SELECT uses FROM spent_signatures WHERE signature = ANY($1::bytea[])`,
      [[first, second].map((captured) => Buffer.from(captured.headers[SIGNATURE_HEADER].slice(3), 'hex'))],
    );
    expect(spent).toEqual([{ uses: 1 }, { uses: 1 }]);
    const resent = await send(t, second, { 'Idempotency-Key': 'another-key' });
    expect(resent.body).toMatchObject(replayRefused);
  });

  describe('with the dedupe window off', () => {
    let first: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      first = await startTestApp({ env: { DEDUPE_WINDOW_MS: '0' } });
      second = await startTestApp({ database: first.db, env: { DEDUPE_WINDOW_MS: '0' } });
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });

    it('acts on a keyless create once, also when its copies race in two API processes: the others are 401', async () => {
      const body = createBody();
      const create = capture('POST', CREATE_PATH, body);

      const answers = await Promise.all([send(first, create), send(second, create), send(first, create)]);

      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401, 401]);
      for (const answer of answers.filter((a) => a.status === 401)) expect(answer.body).toMatchObject(replayRefused);
      expect(await first.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [body.userId])).toHaveLength(1);
    });
  });

  it('does not spend a read’s signature: the same signed read answers again', async () => {
    const path = `/v1/projects?userId=${randomUUID()}`;
    const at = String(uniqueSecond());
    const headers = {
      [TIMESTAMP_HEADER]: at,
      [SIGNATURE_HEADER]: computeSignature(TEST_SECRET, at, { method: 'GET', pathWithQuery: path }),
    };

    await t.unsigned().get(path).set(headers).expect(200);
    await other.unsigned().get(path).set(headers).expect(200);
  });

  it('keeps a spent signature until its timestamp can no longer verify, then sweeps it', async () => {
    const userId = randomUUID();
    const at = uniqueSecond();
    await send(t, capture('POST', grantsPath(userId), { seconds: 5, reason: 'x' }, { at })).expect(201);
    const [row] = await t.db.query<{ uses: number; expires: number }>(
      `SELECT uses, extract(epoch FROM expires_at)::int AS expires FROM spent_signatures
        ORDER BY spent_at DESC LIMIT 1`,
    );
    expect(row.uses).toBe(1);
    // A timestamp verifies while it is within 300 s of the server's clock, so until 300 s after it.
    expect(row.expires).toBe(at + 300);
    const [{ count: before }] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM spent_signatures`,
    );
    await t.db.query(
      `UPDATE spent_signatures SET expires_at = now() - interval '11 minutes'
        WHERE signature = (SELECT signature FROM spent_signatures ORDER BY spent_at DESC LIMIT 1)`,
    );

    await t.app.get(SpentSignaturesService).sweepExpired();

    const [{ count: after }] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM spent_signatures`,
    );
    expect(after).toBe(before - 1);
  });
});
