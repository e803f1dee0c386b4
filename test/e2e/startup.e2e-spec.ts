import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREATE_PATH } from '../support/requests';
import { ServiceProcess } from '../support/service-process';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('starting the service process', () => {
  let db: TestDatabase;
  let projectsRoot: string;
  let service: ServiceProcess | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
    projectsRoot = await mkdtemp(join(tmpdir(), 'sheen-startup-projects-'));
  });
  afterEach(async () => {
    await service?.kill();
    service = undefined;
    await db.drop();
    await rm(projectsRoot, { recursive: true, force: true });
  });

  it('refuses a bad configuration: exits 1 and names every bad variable on stderr', async () => {
    service = new ServiceProcess({
      PORT: 'abc',
      BUILD_MAX_ATTEMPTS: '0',
      DATABASE_URL: db.url,
      PROJECTS_ROOT: projectsRoot,
    });

    const exit = await service.exitWithin(15_000);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(service.stderr).toMatch(/\bPORT="abc"/);
    expect(service.stderr).toMatch(/\bBUILD_MAX_ATTEMPTS="0"/);
    // A clear message for an operator, not a crash: no stack trace.
    expect(service.stderr).not.toMatch(/^\s+at /m);
    expect(service.stdout).not.toMatch(/listening on/);
  }, 20_000);

  it('starts on a free port, serves requests against the database, and exits 0 on SIGTERM', async () => {
    service = new ServiceProcess({
      PORT: '0',
      DATABASE_URL: db.url,
      PROJECTS_ROOT: projectsRoot,
    });

    // ts-node transpiles src/ as it boots: on 2 busy cores that alone can take well over 20 s.
    const [, port] = await service.waitForStdout(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 45_000);
    expect(Number(port)).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;

    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);

    const userId = randomUUID();
    const created = await fetch(`${base}${CREATE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, prompt: 'x' }),
    });
    const body = (await created.json()) as { projectId?: string };
    expect({ status: created.status, body }).toMatchObject({ status: 201, body: { success: true, status: 'queued' } });
    // `npm start` runs the worker in the same process, so the build may already have been picked up.
    const projects = await db.query<{ owner_id: string; build_status: string }>(
      `SELECT owner_id, build_status FROM projects WHERE id = $1`,
      [body.projectId],
    );
    expect(projects).toEqual([{ owner_id: userId, build_status: expect.stringMatching(/^(queued|building|ready)$/) }]);

    service.signal('SIGTERM');
    expect(await service.exitWithin(10_000)).toEqual({ code: 0, signal: null });
    expect(service.stdout).toMatch(/SIGTERM received/);
  }, 75_000); // 45 s to start, 10 s to exit, and the requests in between
});
