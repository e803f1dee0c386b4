import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { ProcessRole } from '../../src/builds/worker.config';

const ROOT = resolve(__dirname, '..', '..');
/** The project's own Node 24 (a devDependency), whatever node runs npm. */
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/**
 * The real entry point from source, so the test does not depend on a prior `npm run build`, with
 * telemetry loaded first as `npm start` loads it (`--import ./dist/src/telemetry.js`).
 */
const ENTRY = ['-r', 'ts-node/register/transpile-only', '-r', './src/telemetry.ts', 'src/main.ts'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The service as a child process, with its output collected. */
export class ServiceProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  /** `role` as `npm run start:api` / `start:worker` pass it; without it, both (as `npm start`). */
  constructor(env: Record<string, string>, role?: ProcessRole) {
    const inherited = { ...process.env };
    // The child reads only what the test gives it (Jest sets NODE_ENV=test).
    for (const variable of ['DATABASE_URL', 'PORT', 'NODE_ENV', 'WORKER_SHARED_SECRET']) delete inherited[variable];
    this.child = spawn(NODE, role ? [...ENTRY, role] : ENTRY, {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
