import { randomUUID } from 'node:crypto';
import { CREATE_PATH } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';

describe('starting the service process', () => {
  let services: ServiceProcesses;

  beforeEach(async () => {
    services = await ServiceProcesses.open('startup');
  });
  afterEach(() => services?.close());

  it('refuses a bad configuration: exits 1 and names every bad variable on stderr', async () => {
    const service = services.start('bad configuration', { PORT: 'abc', BUILD_MAX_ATTEMPTS: '0', BUILDS_PER_USER: '0' });

    const exit = await service.exitWithin(15_000);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(service.stderr).toMatch(/\bPORT="abc"/);
    expect(service.stderr).toMatch(/\bBUILD_MAX_ATTEMPTS="0"/);
    expect(service.stderr).toMatch(/\bBUILDS_PER_USER="0": .*not be less than 1/);
    // A clear message for an operator, not a crash: no stack trace.
    expect(service.stderr).not.toMatch(/^\s+at /m);
    expect(service.stdout).not.toMatch(/listening on/);
  }, 20_000);

  it('starts on a free port, serves requests against the database, and exits 0 on SIGTERM', async () => {
    // ts-node transpiles src/ as it boots: on 2 busy cores that alone can take well over 20 s.
    const { process: service, baseUrl: base } = await services.startListening('service', {}, { timeoutMs: 45_000 });
    expect(Number(new URL(base).port)).toBeGreaterThan(0);

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
    const projects = await services.db.query<{ owner_id: string; build_status: string }>(
      `SELECT owner_id, build_status FROM projects WHERE id = $1`,
      [body.projectId],
    );
    expect(projects).toEqual([{ owner_id: userId, build_status: expect.stringMatching(/^(queued|building|ready)$/) }]);

    service.signal('SIGTERM');
    expect(await service.exitWithin(10_000)).toEqual({ code: 0, signal: null });
    expect(service.stdout).toMatch(/SIGTERM received/);
  }, 75_000); // 45 s to start, 10 s to exit, and the requests in between
});
