import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFolderChainBeyondPathMax } from '../support/deep-folders';
import { persistedState } from '../support/persisted-state';
import { exited, pidWrittenTo } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

describe('DELETE /v1/projects/:projectId', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('removes the project, its build, session, queued job and directory, and answers 204', async () => {
    const body = createBody();
    const keep = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId: body.userId, prompt: 'kept' }))
      .expect(201);
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);

    const response = await t.http().delete(`/v1/projects/${created.projectId}?userId=${body.userId as string}`);

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    for (const table of [
      'projects WHERE id',
      'project_build_metrics WHERE project_id',
      'ai_time_sessions WHERE project_id',
    ]) {
      expect(await t.db.query(`SELECT 1 FROM ${table} = $1`, [created.projectId])).toEqual([]);
    }
    expect(await t.db.query(`SELECT 1 FROM pgboss.job WHERE data->>'projectId' = $1`, [created.projectId])).toEqual([]);
    const { paths } = await persistedState(t.db, t.projectsRoot);
    expect(paths.some((path) => path.includes(created.projectId))).toBe(false);
    expect(paths).toContain(`${body.userId as string}/${keep.body.projectId as string}`);
    expect(await t.db.query(`SELECT 1 FROM projects WHERE id = $1`, [keep.body.projectId])).toHaveLength(1);
  });

  it('removes a directory in which a build left folders deeper than PATH_MAX, and answers 204', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const directory = join(t.projectsRoot, body.userId as string, created.projectId as string);
    await mkdir(join(directory, 'source'));
    await makeFolderChainBeyondPathMax(join(directory, 'source', 'deep'));

    await t
      .http()
      .delete(`/v1/projects/${created.projectId}?userId=${body.userId as string}`)
      .expect(204);

    expect(await t.db.query(`SELECT 1 FROM projects WHERE id = $1`, [created.projectId])).toEqual([]);
    const { paths } = await persistedState(t.db, t.projectsRoot);
    expect(paths.some((path) => path.includes(created.projectId))).toBe(false);
  });

  it.each([
    ['an unknown project', false],
    ['another user’s project', true],
  ])('answers 404 project_not_found for %s and deletes nothing', async (_what, existing) => {
    const owner = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(owner).expect(201);
    const projectId = existing ? (created.projectId as string) : randomUUID();
    const before = await persistedState(t.db, t.projectsRoot);

    const response = await t.http().delete(`/v1/projects/${projectId}?userId=${randomUUID()}`);

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'project_not_found' });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('answers 400 for ids that are not UUIDs', async () => {
    await t.http().delete(`/v1/projects/not-a-uuid?userId=${randomUUID()}`).expect(400);
    await t.http().delete(`/v1/projects/${randomUUID()}?userId=nope`).expect(400);
  });
});

describe('DELETE /v1/projects/:projectId while its build runs', () => {
  let t: TestApp;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sheen-delete-running-'));
    t = await startTestApp({
      roles: ['api', 'worker'],
      // The command keeps writing into its folder until it is killed, as a real build would: the
      // delete's removal of that folder races the writes (ENOTEMPTY) and must still succeed.
      env: {
        BUILDER: 'command',
        // The test follows the command by its host pid, which a sandbox would hide.
        BUILD_SANDBOX: 'none',
        BUILD_COMMAND: `echo $$ > "${scratch}/$BUILD_ID.pid"; i=0; while :; do i=$((i+1)); : > "$OUTPUT_DIR/f$i"; done 2>/dev/null`,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('answers 204, bills the time the build ran, stops its command, and leaves nothing behind', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const pid = await pidWrittenTo(join(scratch, `${created.buildId as string}.pid`), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));

    await t
      .http()
      .delete(`/v1/projects/${created.projectId}?userId=${body.userId as string}`)
      .expect(204);

    // The ledger keeps its history after the build's row is gone (its build_id is cleared).
    const debits = await t.db.query<{ seconds: number }>(
      `SELECT seconds FROM ai_time_ledger WHERE user_id = $1 AND kind = 'debit'`,
      [body.userId],
    );
    expect(debits).toHaveLength(1);
    expect(debits[0].seconds).toBeLessThanOrEqual(-2);
    const [balance] = await t.db.query<{ seconds_used: number }>(
      `SELECT seconds_used FROM ai_time_balances WHERE user_id = $1`,
      [body.userId],
    );
    expect(balance.seconds_used).toBe(-debits[0].seconds);

    // The worker notices within its lease check (1 s) and kills the command's process group.
    await exited(pid, 5000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { paths } = await persistedState(t.db, t.projectsRoot);
    expect(paths.some((path) => path.includes(created.projectId))).toBe(false);
    expect(await t.db.query(`SELECT 1 FROM project_build_metrics WHERE project_id = $1`, [created.projectId])).toEqual(
      [],
    );
  }, 30_000);
});
