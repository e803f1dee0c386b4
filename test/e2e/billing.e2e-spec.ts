import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'supertest';
import { AiTimeBalancesService } from '../../src/billing/ai-time-balances.service';
import { MAX_BALANCE_SECONDS, MAX_GRANT_SECONDS } from '../../src/billing/ai-time-policy';
import { AiTimeSessionsService, BuildUsage } from '../../src/billing/ai-time-sessions.service';
import { userLock } from '../../src/database/advisory-lock';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { newUlid } from '../../src/ids/ids';
import { noNulls } from '../support/no-nulls';
import { persistedState } from '../support/persisted-state';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const WELCOME = 120;

const balancePath = (userId: string): string => `/v1/billing/${userId}/balance`;
const grantsPath = (userId: string): string => `/v1/billing/${userId}/grants`;

interface LedgerRow {
  kind: string;
  seconds: number;
  build_id: string | null;
  reason: string;
}

describe('AI-time billing', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: String(WELCOME) } });
  });
  afterAll(() => t?.close());

  const grant = (userId: string, body: object): Test => t.http().post(grantsPath(userId)).send(body);

  const ledger = (userId: string): Promise<LedgerRow[]> =>
    t.db.query<LedgerRow>(`SELECT kind, seconds, build_id, reason FROM ai_time_ledger WHERE user_id = $1 ORDER BY id`, [
      userId,
    ]);

  const storedBalance = (userId: string): Promise<Record<string, unknown>[]> =>
    t.db.query(`SELECT seconds_remaining, seconds_used FROM ai_time_balances WHERE user_id = $1`, [userId]);

  describe('GET /v1/billing/:userId/balance', () => {
    it('shows a user never seen the welcome balance they would start with, and writes nothing', async () => {
      const userId = randomUUID();
      const before = await persistedState(t.db, t.projectsRoot);

      const response = await t.http().get(balancePath(userId)).expect(200).expect(noNulls);

      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({ userId, secondsRemaining: WELCOME, secondsUsed: 0 });
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('shows the welcome balance a create gave, matching the ledger', async () => {
      const userId = randomUUID();
      await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);

      const { body } = await t.http().get(balancePath(userId)).expect(200).expect(noNulls);

      const rows = await ledger(userId);
      expect(rows[0]).toEqual({ kind: 'welcome', seconds: WELCOME, build_id: null, reason: 'welcome' });
      // The balance is the ledger's sum. Asserted that way rather than as exactly the welcome, so a
      // build worker running in this process (it may debit the queued build at any moment) cannot
      // make the test flaky.
      const debited = rows.filter((row) => row.kind === 'debit').reduce((sum, row) => sum - row.seconds, 0);
      expect(body).toEqual({ userId, secondsRemaining: WELCOME - debited, secondsUsed: debited });
      expect(rows.filter((row) => row.kind === 'welcome')).toHaveLength(1);
    });

    it('reads an upper-case user id as the same user', async () => {
      const userId = randomUUID();
      await grant(userId, { seconds: 5, reason: 'test' }).expect(201);

      const { body } = await t.http().get(balancePath(userId.toUpperCase())).expect(200).expect(noNulls);

      expect(body).toEqual({ userId, secondsRemaining: WELCOME + 5, secondsUsed: 0 });
    });

    it.each(['not-a-uuid', '123e4567-e89b-42d3-a456-42661417400', '123e4567e89b42d3a456426614174000'])(
      'answers 400 problem+json to the user id %j',
      async (userId) => {
        const response = await t.http().get(balancePath(userId)).expect(400);

        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 400, code: 'validation_failed' });
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'userId' })]));
      },
    );
  });

  describe('POST /v1/billing/:userId/grants', () => {
    it('adds grants up, answers 201 with the new balance, and records each in the ledger', async () => {
      const userId = randomUUID();
      await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
      const start = (await t.http().get(balancePath(userId)).expect(200).expect(noNulls)).body;

      const first = await grant(userId, { seconds: 600, reason: 'Monthly plan' }).expect(201);
      expect(first.headers['content-type']).toMatch(/^application\/json/);
      expect(first.body).toEqual({ ...start, secondsRemaining: start.secondsRemaining + 600 });

      const second = await grant(userId, { seconds: 45, reason: 'Support credit' }).expect(201);
      expect(second.body).toEqual({ ...start, secondsRemaining: start.secondsRemaining + 645 });
      expect((await t.http().get(balancePath(userId)).expect(200).expect(noNulls)).body).toEqual(second.body);

      const grants = (await ledger(userId)).filter((row) => row.kind === 'grant');
      expect(grants).toEqual([
        { kind: 'grant', seconds: 600, build_id: null, reason: 'Monthly plan' },
        { kind: 'grant', seconds: 45, build_id: null, reason: 'Support credit' },
      ]);
    });

    it('gives a user never seen the welcome balance first, then the grant', async () => {
      const userId = randomUUID();

      const { body } = await grant(userId, { seconds: 30, reason: 'Trial extension' }).expect(201);

      expect(body).toEqual({ userId, secondsRemaining: WELCOME + 30, secondsUsed: 0 });
      expect(await storedBalance(userId)).toEqual([{ seconds_remaining: WELCOME + 30, seconds_used: 0 }]);
      expect(await ledger(userId)).toEqual([
        { kind: 'welcome', seconds: WELCOME, build_id: null, reason: 'welcome' },
        { kind: 'grant', seconds: 30, build_id: null, reason: 'Trial extension' },
      ]);
    });

    it('accepts the largest grant and a 500-character reason', async () => {
      const userId = randomUUID();
      const reason = 'r'.repeat(500);

      const { body } = await grant(userId, { seconds: MAX_GRANT_SECONDS, reason }).expect(201);

      expect(body.secondsRemaining).toBe(WELCOME + MAX_GRANT_SECONDS);
      expect((await ledger(userId)).at(-1)).toMatchObject({ kind: 'grant', reason });
    });

    it('counts every one of many concurrent grants, with one welcome', async () => {
      const userId = randomUUID();

      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => grant(userId, { seconds: 10 + i, reason: `grant ${i}` })),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(8).fill(201));
      const total = 8 * 10 + (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7);
      expect(await storedBalance(userId)).toEqual([{ seconds_remaining: WELCOME + total, seconds_used: 0 }]);
      const rows = await ledger(userId);
      expect(rows.filter((row) => row.kind === 'welcome')).toHaveLength(1);
      expect(rows.filter((row) => row.kind === 'grant')).toHaveLength(8);
    });

    it('serialises with a concurrent first create for the same user: one welcome, both counted', async () => {
      const userId = randomUUID();

      const [created, granted] = await Promise.all([
        t.http().post(CREATE_PATH).send(createBody({ userId })),
        grant(userId, { seconds: 50, reason: 'race' }),
      ]);

      expect([created.status, granted.status]).toEqual([201, 201]);
      const rows = await ledger(userId);
      expect(rows.filter((row) => row.kind === 'welcome')).toEqual([
        { kind: 'welcome', seconds: WELCOME, build_id: null, reason: 'welcome' },
      ]);
      expect(rows.filter((row) => row.kind === 'grant')).toHaveLength(1);
      const [{ seconds_remaining: remaining, seconds_used: used }] = await storedBalance(userId);
      expect(Number(remaining) + Number(used)).toBe(WELCOME + 50);
    });

    it('keeps balances apart: a grant changes only the user in the path', async () => {
      const alice = randomUUID();
      const bob = randomUUID();
      await grant(bob, { seconds: 7, reason: 'bob' }).expect(201);

      await grant(alice, { seconds: 1000, reason: 'alice' }).expect(201);

      expect((await t.http().get(balancePath(bob)).expect(200).expect(noNulls)).body).toEqual({
        userId: bob,
        secondsRemaining: WELCOME + 7,
        secondsUsed: 0,
      });
      expect((await t.http().get(balancePath(alice)).expect(200).expect(noNulls)).body.secondsRemaining).toBe(
        WELCOME + 1000,
      );
      expect((await ledger(bob)).map((row) => row.reason)).toEqual(['welcome', 'bob']);
    });

    const BAD_BODIES: [string, unknown, string][] = [
      ['no seconds', { reason: 'x' }, 'seconds'],
      ['no reason', { seconds: 10 }, 'reason'],
      ['seconds 0', { seconds: 0, reason: 'x' }, 'seconds'],
      ['negative seconds', { seconds: -10, reason: 'x' }, 'seconds'],
      ['fractional seconds', { seconds: 1.5, reason: 'x' }, 'seconds'],
      ['seconds as a string', { seconds: '10', reason: 'x' }, 'seconds'],
      ['seconds null', { seconds: null, reason: 'x' }, 'seconds'],
      ['seconds above the cap', { seconds: MAX_GRANT_SECONDS + 1, reason: 'x' }, 'seconds'],
      ['an empty reason', { seconds: 10, reason: '' }, 'reason'],
      ['a 501-character reason', { seconds: 10, reason: 'r'.repeat(501) }, 'reason'],
      ['a reason that is a number', { seconds: 10, reason: 42 }, 'reason'],
      ['a reason with a NUL', { seconds: 10, reason: 'a\u0000b' }, 'reason'],
      ['an unknown field', { seconds: 10, reason: 'x', bonus: true }, 'bonus'],
      ['a userId in the body', { seconds: 10, reason: 'x', userId: randomUUID() }, 'userId'],
      ['an array', [{ seconds: 10, reason: 'x' }], ''],
    ];

    it.each(BAD_BODIES)('answers 400 problem+json to %s and writes nothing', async (_name, body, field) => {
      const userId = randomUUID();
      const before = await persistedState(t.db, t.projectsRoot);

      const response = await t
        .http()
        .post(grantsPath(userId))
        .send(body as object)
        .expect(400);

      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code: 'validation_failed', type: expect.any(String) });
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('answers 400 problem+json to an invalid user id in the path and writes nothing', async () => {
      const before = await persistedState(t.db, t.projectsRoot);

      const response = await grant('not-a-uuid', { seconds: 10, reason: 'x' }).expect(400);

      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'userId' })]));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('answers 400 on seconds when the balance would overflow, and writes nothing', async () => {
      const userId = randomUUID();
      await grant(userId, { seconds: 1, reason: 'open' }).expect(201);
      await t.db.query(`UPDATE ai_time_balances SET seconds_remaining = $2 WHERE user_id = $1`, [
        userId,
        MAX_BALANCE_SECONDS - 5,
      ]);
      const before = await persistedState(t.db, t.projectsRoot);

      const response = await grant(userId, { seconds: 6, reason: 'too much' }).expect(400);

      expect(response.body).toMatchObject({ code: 'validation_failed' });
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'seconds' })]);
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
      expect(await storedBalance(userId)).toEqual([{ seconds_remaining: MAX_BALANCE_SECONDS - 5, seconds_used: 0 }]);
      await grant(userId, { seconds: 5, reason: 'up to the limit' }).expect(201);
    });

    it('refuses an unsigned grant with 401 and writes nothing', async () => {
      const before = await persistedState(t.db, t.projectsRoot);

      await t.unsigned().post(grantsPath(randomUUID())).send({ seconds: 10, reason: 'x' }).expect(401);

      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });
  });

  describe('AiTimeSessionsService.closeAndDebit', () => {
    let sessions: AiTimeSessionsService;
    let transactions: TransactionRunner;

    beforeAll(() => {
      sessions = t.app.get(AiTimeSessionsService);
      transactions = t.app.get(TransactionRunner);
    });

    interface QueuedBuild {
      userId: string;
      buildId: string;
    }

    /**
     * A user with the welcome balance and one queued build with its active session, reserving
     * `reserved` seconds, written without a queue job so that no build worker can close the
     * session behind the test's back.
     */
    async function queuedBuild(reserved = 1): Promise<QueuedBuild> {
      const userId = randomUUID();
      const projectId = randomUUID();
      const buildId = newUlid();
      await transactions.inTransaction(userLock(userId), async ({ manager }) => {
        await t.app.get(AiTimeBalancesService).ensure(manager, userId);
        await manager.query(
          `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, 'Billing test', 'react', 'server')`,
          [projectId, userId],
        );
        await manager.query(
          `INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, framework, prompt)
           VALUES ($1, $2, $3, $4, true, 'react', 'billing test')`,
          [buildId, newUlid(), projectId, userId],
        );
        await manager.query('SELECT ai_time_sessions_open($1, $2, $3, $4, $5)', [
          newUlid(),
          userId,
          projectId,
          buildId,
          reserved,
        ]);
      });
      return { userId, buildId };
    }

    /** closeAndDebit in a transaction of its own, under a lock no other call shares. */
    const closeAndDebit = (usage: BuildUsage): Promise<boolean> =>
      transactions.inTransaction(userLock(randomUUID()), ({ manager }) => sessions.closeAndDebit(manager, usage));

    const session = async (buildId: string): Promise<Record<string, unknown>> =>
      (
        await t.db.query(`SELECT status, seconds_used, closed_at FROM ai_time_sessions WHERE build_id = $1`, [buildId])
      )[0];

    const billingState = async ({ userId, buildId }: QueuedBuild): Promise<unknown> => ({
      session: await session(buildId),
      balance: await storedBalance(userId),
      ledger: await ledger(userId),
    });

    it('closes the session, writes one debit and lowers the balance by exactly the seconds', async () => {
      const build = await queuedBuild();

      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 42 })).toBe(true);

      expect(await session(build.buildId)).toEqual({ status: 'closed', seconds_used: 42, closed_at: expect.any(Date) });
      expect(await ledger(build.userId)).toEqual([
        { kind: 'welcome', seconds: WELCOME, build_id: null, reason: 'welcome' },
        { kind: 'debit', seconds: -42, build_id: build.buildId, reason: 'build' },
      ]);
      expect((await t.http().get(balancePath(build.userId)).expect(200).expect(noNulls)).body).toEqual({
        userId: build.userId,
        secondsRemaining: WELCOME - 42,
        secondsUsed: 42,
      });
    });

    it('closes with 0 s (a build canceled before it started): a debit of 0 for the audit, the balance as it was', async () => {
      const build = await queuedBuild(5);

      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 0 })).toBe(true);

      expect(await session(build.buildId)).toEqual({ status: 'closed', seconds_used: 0, closed_at: expect.any(Date) });
      expect(await ledger(build.userId)).toEqual([
        { kind: 'welcome', seconds: WELCOME, build_id: null, reason: 'welcome' },
        { kind: 'debit', seconds: 0, build_id: build.buildId, reason: 'build' },
      ]);
      expect(await storedBalance(build.userId)).toEqual([{ seconds_remaining: WELCOME, seconds_used: 0 }]);
    });

    it('does nothing the second time (a retried or restarted worker), whatever seconds it passes', async () => {
      const build = await queuedBuild();
      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 10 })).toBe(true);
      const after = await billingState(build);

      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 10 })).toBe(false);
      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 99 })).toBe(false);

      expect(await billingState(build)).toEqual(after);
      expect(await storedBalance(build.userId)).toEqual([{ seconds_remaining: WELCOME - 10, seconds_used: 10 }]);
    });

    it('debits once when a second transaction calls it while the first has not committed yet', async () => {
      const build = await queuedBuild();
      let commitFirst!: () => void;
      const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
      let firstDebited!: () => void;
      const firstHasDebited = new Promise<void>((resolve) => (firstDebited = resolve));

      const first = transactions.inTransaction(userLock(randomUUID()), async ({ manager }) => {
        const debited = await sessions.closeAndDebit(manager, { buildId: build.buildId, secondsUsed: 30 });
        firstDebited();
        await firstMayCommit;
        return debited;
      });
      await firstHasDebited;
      const second = closeAndDebit({ buildId: build.buildId, secondsUsed: 30 });
      await waitForLockWaiters(t, 1);
      commitFirst();

      expect(await Promise.all([first, second])).toEqual([true, false]);
      expect(await storedBalance(build.userId)).toEqual([{ seconds_remaining: WELCOME - 30, seconds_used: 30 }]);
      expect((await ledger(build.userId)).filter((row) => row.kind === 'debit')).toHaveLength(1);
    });

    it('debits once when many transactions race', async () => {
      const build = await queuedBuild();

      const results = await Promise.all(
        Array.from({ length: 6 }, () => closeAndDebit({ buildId: build.buildId, secondsUsed: 7 })),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await storedBalance(build.userId)).toEqual([{ seconds_remaining: WELCOME - 7, seconds_used: 7 }]);
      expect((await ledger(build.userId)).filter((row) => row.kind === 'debit')).toEqual([
        { kind: 'debit', seconds: -7, build_id: build.buildId, reason: 'build' },
      ]);
    });

    it('leaves everything as it was when the outcome transaction rolls back, so a retry debits', async () => {
      const build = await queuedBuild();
      const before = await billingState(build);

      await expect(
        transactions.inTransaction(userLock(build.userId), async ({ manager }) => {
          await sessions.closeAndDebit(manager, { buildId: build.buildId, secondsUsed: 20 });
          throw new Error('the worker crashed before committing');
        }),
      ).rejects.toThrow('the worker crashed');
      expect(await billingState(build)).toEqual(before);

      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: 20 })).toBe(true);
      expect(await storedBalance(build.userId)).toEqual([{ seconds_remaining: WELCOME - 20, seconds_used: 20 }]);
    });

    it('charges all a build used, even past its reservation and below zero; the next create is then 402', async () => {
      const build = await queuedBuild(1);

      expect(await closeAndDebit({ buildId: build.buildId, secondsUsed: WELCOME + 80 })).toBe(true);

      expect((await t.http().get(balancePath(build.userId)).expect(200).expect(noNulls)).body).toEqual({
        userId: build.userId,
        secondsRemaining: -80,
        secondsUsed: WELCOME + 80,
      });
      const refused = await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId: build.userId }))
        .expect(402);
      expect(refused.body.code).toBe('insufficient_ai_time');
    });

    it('does nothing for a build that has no session', async () => {
      const before = await persistedState(t.db, t.projectsRoot);

      expect(await closeAndDebit({ buildId: newUlid(), secondsUsed: 5 })).toBe(false);

      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it.each([-3, 1.5, Number.NaN])('refuses %d seconds (a whole number from 0) and writes nothing', async (seconds) => {
      const build = await queuedBuild();
      const before = await billingState(build);

      await expect(closeAndDebit({ buildId: build.buildId, secondsUsed: seconds })).rejects.toThrow(RangeError);

      expect(await billingState(build)).toEqual(before);
    });
  });

  describe('docs', () => {
    interface Operation {
      responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      parameters?: { name: string; in: string; schema?: { format?: string } }[];
    }
    interface Property {
      description?: string;
      example?: unknown;
    }
    let document: {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, { properties?: Record<string, Property> }> };
    };

    beforeAll(async () => {
      document = (await t.http().get('/docs-json').expect(200)).body;
    });

    it.each([
      ['/v1/billing/{userId}/balance', 'get', ['200', '400', '401', '500', '503']],
      ['/v1/billing/{userId}/grants', 'post', ['201', '400', '401', '409', '413', '415', '422', '500', '503']],
    ])('documents %s %s with its problem responses', (path, method, statuses) => {
      const operation = document.paths[path]?.[method];
      expect(operation).toBeDefined();
      expect(Object.keys(operation.responses).sort()).toEqual([...statuses].sort());
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(operation.responses[status].content?.['application/problem+json']?.schema?.$ref).toBe(
          '#/components/schemas/ProblemDetailsDto',
        );
      }
      expect(operation.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'userId', in: 'path' })]),
      );
    });

    it.each(['AiTimeBalanceResponse', 'GrantAiTimeRequest'])(
      'describes every property of %s with an example',
      (name) => {
        const properties = Object.entries(document.components.schemas[name]?.properties ?? {});
        expect(properties.length).toBeGreaterThan(0);
        expect(
          properties.filter(([, p]) => !p.description?.trim() || p.example === undefined).map(([key]) => key),
        ).toEqual([]);
      },
    );
  });
});

describe('AI-time reservations (AI_TIME_RESERVE_SECONDS)', () => {
  const RESERVE = 10;
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: { AI_TIME_WELCOME_SECONDS: String(RESERVE), AI_TIME_RESERVE_SECONDS: String(RESERVE) },
    });
  });
  afterAll(() => t?.close());

  const balance = async (userId: string) =>
    (await t.http().get(balancePath(userId)).expect(200)).body as { secondsRemaining: number; secondsUsed: number };

  /** Every balance the ledger passed through, in order: the running sum of its rows. */
  const balanceHistory = async (userId: string): Promise<number[]> => {
    const rows = await t.db.query<{ seconds: number }>(
      `SELECT seconds FROM ai_time_ledger WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    let sum = 0;
    return rows.map((row) => (sum += row.seconds));
  };

  const finished = (buildId: string) =>
    eventually(
      `build ${buildId} finished`,
      async () =>
        (await t.db.query(`SELECT 1 FROM ai_time_sessions WHERE build_id = $1 AND status = 'closed'`, [buildId]))[0],
      20_000,
    );

  it('accepts one of ten concurrent creates against a balance for one build; nine are 402 and nothing of them is left', async () => {
    const userId = randomUUID();

    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t
          .http()
          .post(CREATE_PATH)
          .send(createBody({ userId, prompt: `concurrent create ${i}` })),
      ),
    );

    expect(responses.map((response) => response.status).sort()).toEqual([201, ...Array<number>(9).fill(402)]);
    for (const refused of responses.filter((response) => response.status === 402)) {
      expect(refused.body).toMatchObject({ code: 'insufficient_ai_time' });
      expect(refused.body.detail).toBe(
        `0 s of AI time are available (the balance less what queued and running builds reserved); a build reserves ${RESERVE} s. Add a grant first, or wait for a build to end.`,
      );
    }
    const accepted = responses.find((response) => response.status === 201)!.body as { buildId: string };
    const [{ projects }] = await t.db.query<{ projects: number }>(
      `SELECT count(*)::int AS projects FROM projects WHERE owner_id = $1`,
      [userId],
    );
    expect(projects).toBe(1);
    expect(await readdir(join(t.projectsRoot, userId))).toHaveLength(1);

    await finished(accepted.buildId);
    const { secondsRemaining, secondsUsed } = await balance(userId);
    expect(secondsUsed).toBeGreaterThanOrEqual(1);
    expect(secondsRemaining).toBe(RESERVE - secondsUsed);
    expect(Math.min(...(await balanceHistory(userId)))).toBeGreaterThanOrEqual(0);
  });

  it('holds the reservation while the build is queued or running and releases it, charging what was used, when it ends', async () => {
    const userId = randomUUID();
    await t.http().post(grantsPath(userId)).send({ seconds: RESERVE, reason: 'test' }).expect(201);
    // 20 s: room for two reservations, not three.
    const first = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'first' }))
      .expect(201);
    const second = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'second' }));
    const third = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'third' }));
    const accepted = [first, second, third].filter((response) => response.status === 201);
    // A fast build may already have ended and released its reservation before the third asked.
    expect(accepted.length).toBeGreaterThanOrEqual(2);

    for (const response of accepted) await finished((response.body as { buildId: string }).buildId);
    const [{ reserved }] = await t.db.query<{ reserved: number }>(
      `SELECT coalesce(sum(seconds_reserved), 0)::int AS reserved FROM ai_time_sessions WHERE user_id = $1 AND status = 'active'`,
      [userId],
    );
    expect(reserved).toBe(0);
    const { secondsRemaining, secondsUsed } = await balance(userId);
    expect(secondsUsed).toBeGreaterThanOrEqual(accepted.length);
    expect(secondsRemaining).toBe(2 * RESERVE - secondsUsed);
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'after the builds' }))
      .expect(201);
  });
});

/** Waits until `count` backends of this database are blocked on a lock (a row or a unique key). */
async function waitForLockWaiters(t: TestApp, count: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const [{ waiting }] = await t.db.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} transactions waited on a lock within 2 s`);
}
