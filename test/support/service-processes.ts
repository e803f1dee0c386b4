import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRole } from '../../src/build-worker/worker.config';
import { ServiceProcess } from './service-process';
import type { TestDatabase } from './test-database';
import { openTestGround, TestGround } from './test-ground';

/**
 * Real service processes, as `npm start`, `npm run start:api` and `npm run start:worker` run them,
 * on a database and a projects root of their own (or lent by a TestApp), with a scratch folder for
 * the test's own files. The one place a suite gets "a database, a projects folder and a process".
 */

/** ts-node transpiles src/ as each process boots: several booting at once on 2 busy cores is slow. */
export const BOOT_MS = 180_000;

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const CONSUMING = /build worker consuming the build queue/;

/** A process that serves HTTP, once it listens. */
export interface ApiInstance {
  readonly name: string;
  readonly process: ServiceProcess;
  readonly baseUrl: string;
}

/** A worker process, once it consumes the build queue. */
export interface WorkerInstance {
  readonly name: string;
  readonly process: ServiceProcess;
}

export interface ServiceProcessesOptions {
  /** Variables every process is given besides DATABASE_URL and PROJECTS_ROOT (each may add its own). */
  env?: Record<string, string>;
  /** Run on this app's database and projects root, which `close` then leaves to it. */
  on?: { readonly db: TestDatabase; readonly projectsRoot: string };
}

/** Starts processes on one database and projects root; `close` stops them and removes what `open` made. */
export class ServiceProcesses {
  private readonly started: { name: string; process: ServiceProcess }[] = [];

  private constructor(
    private readonly ground: TestGround,
    /** A folder for the test's own files (e.g. what build commands write about themselves). */
    readonly scratch: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `label` names the temporary folders (`sheen-<label>-projects-…`, `sheen-<label>-scratch-…`). */
  static async open(label: string, options: ServiceProcessesOptions = {}): Promise<ServiceProcesses> {
    const ground = await openTestGround(label, options.on);
    try {
      const scratch = await mkdtemp(join(tmpdir(), `sheen-${label}-scratch-`));
      const env = { DATABASE_URL: ground.db.url, PROJECTS_ROOT: ground.projectsRoot, ...options.env };
      return new ServiceProcesses(ground, scratch, env);
    } catch (error) {
      await ground.remove().catch(() => undefined);
      throw error;
    }
  }

  get db(): TestDatabase {
    return this.ground.db;
  }

  get projectsRoot(): string {
    return this.ground.projectsRoot;
  }

  /** A process not yet waited for; `role` as `start:api` / `start:worker` pass it, without it both. */
  start(name: string, env: Record<string, string> = {}, role?: ProcessRole): ServiceProcess {
    const process = new ServiceProcess({ ...this.env, ...env }, role);
    this.started.push({ name, process });
    return process;
  }

  /** A process on a free port (both roles, as `npm start`, unless `role` says), once it listens. */
  async startListening(
    name: string,
    env: Record<string, string> = {},
    { role, timeoutMs = BOOT_MS }: { role?: ProcessRole; timeoutMs?: number } = {},
  ): Promise<ApiInstance> {
    const process = this.start(name, { ...env, PORT: '0' }, role);
    const [, port] = await process.waitForStdout(LISTENING, timeoutMs);
    return { name, process, baseUrl: `http://127.0.0.1:${port}` };
  }

  /** An API process (`start:api`), once it listens. */
  startApi(name: string, env: Record<string, string> = {}): Promise<ApiInstance> {
    return this.startListening(name, env, { role: 'api' });
  }

  /** A worker process (`start:worker`), once it consumes the build queue. */
  async startWorker(name: string, env: Record<string, string> = {}, timeoutMs = BOOT_MS): Promise<WorkerInstance> {
    const process = this.start(name, env, 'worker');
    await process.waitForStdout(CONSUMING, timeoutMs);
    return { name, process };
  }

  /**
   * A worker whose BUILD_COMMAND notes the worker's name once per attempt (see workersThatRan),
   * then runs `cases` as the branches of `case "$PROMPT" in … esac` (where a prompt may fail or
   * wait), then writes the build's output.
   */
  startRecordingWorker(name: string, cases: string): Promise<WorkerInstance> {
    return this.startWorker(name, {
      BUILDER: 'command',
      // The command notes the worker in the test's scratch folder, which a sandbox would hide.
      BUILD_SANDBOX: 'none',
      BUILD_COMMAND:
        `echo ${name} >> "${this.scratch}/$BUILD_ID.ran"; ` +
        `case "$PROMPT" in ${cases} esac; echo ok > "$OUTPUT_DIR/index.html"`,
    });
  }

  /** The recording workers that ran the build's attempts, in order; undefined before the first began. */
  workersThatRan(buildId: string): Promise<string[] | undefined> {
    return readFile(join(this.scratch, `${buildId}.ran`), 'utf8').then(
      (text) => text.trim().split('\n'),
      () => undefined,
    );
  }

  /** The processes that exited although the test did not kill them (a crash), with their stderr's end. */
  exitedUnexpectedly(killed: readonly ServiceProcess[] = []): string[] {
    return this.started
      .filter(({ process }) => !process.running && !killed.includes(process))
      .map(({ name, process }) => `${name} exited: ${process.stderr.slice(-2000)}`);
  }

  /** Kills (SIGKILL) every process still running and forgets them all. */
  async killAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map(({ process }) => process.kill()));
  }

  async close(): Promise<void> {
    await this.killAll();
    await this.ground.remove();
    await rm(this.scratch, { recursive: true, force: true });
  }
}
