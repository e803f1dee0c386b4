import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../src/net/free-port';
import { BENCH_SECRET } from './signed-create';

const ROOT = resolve(__dirname, '..');

export interface ServiceOptions {
  databaseUrl: string;
  projectsRoot: string;
  /** As `npm run start:api` passes it; without it both roles run in one process, as `npm start`. */
  role?: 'api';
  /** More environment (the builder, say). */
  env?: Record<string, string>;
}

/** AI time enough that no benchmark user ever runs out (402 is not what is measured). */
export const WELCOME_SECONDS = 1_000_000;
/** The default dedupe window, set explicitly: the baseline's look-up uses the same. */
export const DEDUPE_WINDOW_MS = 10_000;

/**
 * The real service from the build, started as `npm start` starts it (`node --import
 * ./dist/src/telemetry.js dist/src/main.js`), on a port of its own, with signing on, logs at `warn`
 * (one JSON line per request at `info` is not what is measured) and the per-user rate limit off
 * (every benchmark user would pass it anyway; its store is a second round trip outside the
 * transaction). BENCH_SERVICE_NODE_OPTIONS adds Node flags, e.g. `--cpu-prof --cpu-prof-dir=prof`.
 */
export class ServiceProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  static async start(options: ServiceOptions): Promise<ServiceProcess> {
    const port = await freePort();
    const inherited = { ...process.env };
    for (const variable of ['DATABASE_URL', 'PORT', 'HOST', 'NODE_ENV', 'WORKER_SHARED_SECRET', 'LOG_LEVEL']) {
      delete inherited[variable];
    }
    const nodeFlags = (process.env.BENCH_SERVICE_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
    const entry = ['--import', './dist/src/telemetry.js', 'dist/src/main.js', ...(options.role ? [options.role] : [])];
    const child = spawn(process.execPath, [...nodeFlags, ...entry], {
      cwd: ROOT,
      env: {
        ...inherited,
        DATABASE_URL: options.databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKER_SHARED_SECRET: BENCH_SECRET,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        AI_TIME_WELCOME_SECONDS: String(WELCOME_SECONDS),
        DEDUPE_WINDOW_MS: String(DEDUPE_WINDOW_MS),
        PROJECTS_ROOT: options.projectsRoot,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    await service.ready(90_000);
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM, as an operator stops it; resolves once it has exited (a CPU profile is written then). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    // At `warn` a healthy run prints nothing; anything it did print belongs beside the results.
    if (this.output.trim()) process.stderr.write(`the service logged:\n${this.output.slice(-4000)}\n`);
  }

  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`the service exited at start:\n${this.output}`);
      const answer = await fetch(`${this.baseUrl}/health/ready`).catch(() => undefined);
      if (answer?.ok) return;
      await new Promise((wait) => setTimeout(wait, 200));
    }
    await this.stop();
    throw new Error(`the service was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** The last lines it printed, for a failure message (at `warn` it prints little). */
  private keep(chunk: string): void {
    this.output = (this.output + chunk).slice(-20_000);
  }
}
