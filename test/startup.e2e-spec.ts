import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CREATE_PATH } from './support/requests';
import { createTestDatabase, TestDatabase } from './support/test-database';

const ROOT = resolve(__dirname, '..');
/** The project's own Node 24 (a devDependency), whatever node runs npm. */
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/** The real entry point from source, so the test does not depend on a prior `npm run build`. */
const ENTRY = ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The service as a child process, with its output collected. */
class ServiceProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    const inherited = { ...process.env };
    // The child reads only what the test gives it.
    delete inherited.DATABASE_URL;
    delete inherited.PORT;
    this.child = spawn(NODE, ENTRY, { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolveExit) =>
      this.child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  async waitForStdout(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (!this.running) throw new Error(`exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
  }

  /** The exit, or a rejection if the process is still running after `timeoutMs`. */
  exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`)),
        timeoutMs,
      );
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** Stops a process a failed test left behind. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

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
    expect(await db.query(`SELECT owner_id, build_status FROM projects WHERE id = $1`, [body.projectId])).toEqual([
      { owner_id: userId, build_status: 'queued' },
    ]);

    service.signal('SIGTERM');
    expect(await service.exitWithin(10_000)).toEqual({ code: 0, signal: null });
    expect(service.stdout).toMatch(/SIGTERM received/);
  }, 75_000); // 45 s to start, 10 s to exit, and the requests in between
});
