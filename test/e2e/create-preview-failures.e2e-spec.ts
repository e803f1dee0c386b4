import { randomUUID } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userLock } from '../../src/database/advisory-lock';
import { ProjectDirectoriesService } from '../../src/workspace/project-directories.service';
import { NOTHING, persistedState } from '../support/persisted-state';
import { whileTheQueueInsertsNothing } from '../support/skipped-jobs';
import { withClient } from '../support/pg-client';
import { CREATE_PATH, createBody } from '../support/requests';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

const INJECTED = 'injected failure at this step';

function expectInternalError(response: {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: unknown;
}) {
  expect(response.status).toBe(500);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toEqual({
    type: 'urn:sheen:problem:internal_error',
    title: 'Internal server error',
    status: 500,
    detail: 'An unexpected error occurred.',
    code: 'internal_error',
  });
  expect(response.text).not.toContain(INJECTED);
}

describe('a create that fails at any step inside the transaction leaves nothing behind', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.db.query(
      `CREATE FUNCTION fail_injected() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION '${INJECTED}'; END $$`,
    );
  });
  afterAll(() => t?.close());

  const steps: [step: string, table: string, event: 'INSERT' | 'UPDATE'][] = [
    ['the balance row', 'ai_time_balances', 'INSERT'],
    ['the welcome ledger entry', 'ai_time_ledger', 'INSERT'],
    ['the project row', 'projects', 'INSERT'],
    ['the build metrics row', 'project_build_metrics', 'INSERT'],
    ["the project's current build", 'projects', 'UPDATE'],
    ['the AI-time session', 'ai_time_sessions', 'INSERT'],
    ['the build job', 'pgboss.job', 'INSERT'],
    ['the dedupe record, the last write of a keyless create', 'recent_creates', 'INSERT'],
  ];

  // A fresh id's create is one statement after its directory; a caller's id is made in a
  // transaction of three round trips (ADR 024).
  const idSources: [idSource: string, body: () => Record<string, unknown>][] = [
    ['a server-chosen id', () => createBody()],
    ["a legacy caller's own id", () => createBody({ projectId: randomUUID() })],
  ];
  const cases = steps.flatMap(([step, table, event]) =>
    idSources.map(([idSource, body]) => [step, table, event, idSource, body] as const),
  );

  it.each(cases)('when writing %s fails (trigger on %s %s), for %s', async (_step, table, event, _idSource, body) => {
    await t.db.query(
      `CREATE TRIGGER fail_step BEFORE ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_injected()`,
    );
    try {
      expectInternalError(await t.http().post(CREATE_PATH).send(body()));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    } finally {
      await t.db.query(`DROP TRIGGER fail_step ON ${table}`);
    }
  });

  it.each(idSources)(
    'when the commit itself fails after the directory was made, for %s, the directory is removed again',
    async (_idSource, body) => {
      await t.db.query(
        `CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON projects
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_injected()`,
      );
      try {
        expectInternalError(await t.http().post(CREATE_PATH).send(body()));
        expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
      } finally {
        await t.db.query(`DROP TRIGGER fail_at_commit ON projects`);
      }
    },
  );

  it('when writing the Idempotency-Key record, the last write of a keyed create, fails', async () => {
    await t.db.query(
      `CREATE TRIGGER fail_step BEFORE INSERT ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION fail_injected()`,
    );
    try {
      expectInternalError(await t.http().post(CREATE_PATH).set('Idempotency-Key', 'last-write').send(createBody()));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    } finally {
      await t.db.query(`DROP TRIGGER fail_step ON idempotency_keys`);
    }
  });

  it('when the queue inserts no job (as pg-boss does on a singleton clash), the create fails and nothing is written', async () => {
    const response = await whileTheQueueInsertsNothing(t.db, () => t.http().post(CREATE_PATH).send(createBody()));
    expectInternalError(response);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });

  it('still creates complete projects once the failures are gone', async () => {
    await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    const state = await persistedState(t.db, t.projectsRoot);
    expect(state).toMatchObject({ projects: 1, builds: 1, sessions: 1, balances: 1, ledger: 1, jobs: 1, versions: 0 });
  });
});

describe('a create whose project directory cannot be made leaves nothing behind', () => {
  it('when the workspace step throws', async () => {
    const t = await startTestApp({
      override: (builder) =>
        builder.overrideProvider(ProjectDirectoriesService).useFactory({
          factory: () =>
            Object.assign(Object.create(ProjectDirectoriesService.prototype) as ProjectDirectoriesService, {
              createProjectDirectory: () => Promise.reject(new Error(INJECTED)),
            }),
        }),
    });
    try {
      expectInternalError(await t.http().post(CREATE_PATH).send(createBody()));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    } finally {
      await t.close();
    }
  });

  it('when PROJECTS_ROOT cannot hold directories (it is a file)', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'sheen-unwritable-'));
    const root = join(parent, 'projects');
    await writeFile(root, 'not a directory');
    const t = await startTestApp({ env: { PROJECTS_ROOT: root } });
    try {
      expectInternalError(await t.http().post(CREATE_PATH).send(createBody()));
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    } finally {
      await t.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('bounded waits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it("answers 409 request_in_progress with Retry-After when the user's lock stays taken, and writes nothing", async () => {
    const body = createBody();
    const lock = userLock(body.userId as string);
    await withClient(t.db.url, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [lock.namespace, lock.key]);
      const response = await t.http().post(CREATE_PATH).send(body);
      expect(response.status).toBe(409);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body).toMatchObject({ code: 'request_in_progress', status: 409 });
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
    });
    await t.http().post(CREATE_PATH).send(body).expect(201);
  });
});

describe('when the database is unreachable', () => {
  it('answers 503 database_unavailable with Retry-After, writes nothing, and recovers when it is back', async () => {
    const db = await createTestDatabase();
    const proxy = await TcpProxy.to(db.url);
    const t = await startTestApp({ database: db, databaseUrl: proxy.rewrite(db.url) });
    try {
      await proxy.cut();

      const response = await t.http().post(CREATE_PATH).send(createBody());
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'database_unavailable', status: 503 });
      expect(
        await t
          .http()
          .get('/health/ready')
          .then((r) => r.status),
      ).toBe(503);
      expect(await persistedState(db, t.projectsRoot)).toEqual(NOTHING);
      await proxy.open();
      await t.http().post(CREATE_PATH).send(createBody()).expect(201);
      expect(
        await t
          .http()
          .get('/health/ready')
          .then((r) => r.status),
      ).toBe(200);
    } finally {
      await t.close();
      await proxy.cut();
      await db.drop();
    }
  });
});

describe('concurrency', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('20 concurrent creates for 20 users give 20 complete projects', async () => {
    const bodies = Array.from({ length: 20 }, () => createBody());
    const responses = await Promise.all(bodies.map((body) => t.http().post(CREATE_PATH).send(body)));
    expect(responses.map((r) => r.status)).toEqual(bodies.map(() => 201));

    const state = await persistedState(t.db, t.projectsRoot);
    expect(state).toMatchObject({ projects: 20, builds: 20, sessions: 20, balances: 20, ledger: 20, jobs: 20 });
    const complete = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM projects p
         JOIN project_build_metrics b ON b.build_id = p.current_build_id AND b.project_id = p.id
         JOIN ai_time_sessions s ON s.build_id = b.build_id
         JOIN pgboss.job j ON j.data->>'buildId' = b.build_id`,
    );
    expect(complete[0].count).toBe(20);
    for (const [i, response] of responses.entries()) {
      expect(state.paths).toContain(join(bodies[i].userId as string, response.body.projectId as string));
    }
  });

  it('concurrent creates with different prompts from one user each make a project', async () => {
    const userId = createBody().userId;
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t
          .http()
          .post(CREATE_PATH)
          .send(createBody({ userId, prompt: `app ${i}` })),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    const rows = await t.db.query(`SELECT count(*)::int AS count FROM projects WHERE owner_id = $1`, [userId]);
    expect(rows).toEqual([{ count: 8 }]);
  });
});
