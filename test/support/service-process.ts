import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { ProcessRole } from '../../src/build-worker/worker.config';

const ROOT = resolve(__dirname, '..', '..');
/** The project's own Node 24 (a devDependency), whatever node runs npm. */
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
/**
 * The real entry point from source, so the test does not depend on a prior `npm run build`, with
 * telemetry loaded first as `npm start` loads it (`--import ./dist/src/telemetry.js`).
 */
const ENTRY = ['-r', 'ts-node/register/transpile-only', '-r', './src/telemetry.ts', 'src/main.ts'];

interface Launch {
  file: string;
  args: string[];
  cwd: string;
}

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
  private readonly group: boolean;

  /** `role` as `npm run start:api` / `start:worker` pass it; without it, both (as `npm start`). */
  constructor(env: Record<string, string>, role?: ProcessRole, launch?: Launch) {
    const inherited = { ...process.env };
    // The child reads only what the test gives it (Jest sets NODE_ENV=test).
    for (const variable of ['DATABASE_URL', 'PORT', 'NODE_ENV', 'WORKER_SHARED_SECRET']) delete inherited[variable];
    const { file, args, cwd } = launch ?? { file: NODE, args: role ? [...ENTRY, role] : ENTRY, cwd: ROOT };
    this.child = spawn(file, args, {
      cwd,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A command such as `npm start` runs the service as its child: signals go to the whole group.
      detached: launch !== undefined,
    });
    this.group = launch !== undefined;
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // The command's children hold its output open: it has ended when they have too.
    const ended = launch ? 'close' : 'exit';
    this.exited = new Promise((resolveExit) =>
      this.child.once(ended, (code: number | null, signal: NodeJS.Signals | null) => resolveExit({ code, signal })),
    );
  }

  /** The service as another command starts it, e.g. `npm start` in a checkout at `cwd`. */
  static command(file: string, args: string[], cwd: string, env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(env, undefined, { file, args, cwd });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.group) process.kill(-this.child.pid!, signal);
    else this.child.kill(signal);
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
    // A command's own process may be gone while the service it started still runs.
    if (!this.running && !this.group) return;
    try {
      this.signal('SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await this.exited;
  }
}
