import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { Builder, BuildContext, BuildFailedError } from './builder';
import { BuildCgroup } from './build-memory-cgroup';
import { BubblewrapSandbox, SANDBOX_OUTPUT_DIR, SANDBOX_PATH } from './build-sandbox';
import { Redaction, safeDetail, serverPaths } from './build-failure-detail';
import { errorMessage, prepareOutputDirectory, projectDirectoryExists } from './build-files';

export interface CommandBuilderOptions {
  /** BUILD_COMMAND: from the operator's configuration, never from a request. */
  readonly command: string;
  readonly timeoutMs: number;
  /** PROJECTS_ROOT, kept out of failure details. */
  readonly projectsRoot: string;
  /** BUILD_SANDBOX=bubblewrap; absent with BUILD_SANDBOX=none, where the command runs as the service. */
  readonly sandbox?: BubblewrapSandbox;
  /** The service's secrets (ServiceSecrets), kept out of failure details like the paths. */
  readonly secrets: readonly string[];
}

/** How much of stderr is kept for the failure detail; redaction runs on all of it before the last 2 KiB are cut. */
const STDERR_KEPT_BYTES = 64 * 1024;

/**
 * After the command exits, how long its stdout and stderr may stay open: a process that left the
 * process group (setsid) can hold them forever, and the build must not wait for that.
 */
const OUTPUT_GRACE_MS = 1000;

/**
 * Runs the command (`$1`) as the leader of its own process group, beside a watcher that holds the
 * lifeline pipe (fd 3) from this process. When this process dies, even by SIGKILL, the pipe
 * closes, `read` returns, and the watcher kills the whole group: no build outlives its worker. The
 * command itself does not get the pipe.
 */
const SUPERVISED_COMMAND = '(read _ <&3; kill -KILL 0) >/dev/null 2>&1 & exec sh -c "$1" 3<&-';

/**
 * Runs BUILD_COMMAND through `/bin/sh -c` in the project's `source/` folder, inside the sandbox
 * unless BUILD_SANDBOX=none. The request's values reach it only as environment variables, never as
 * part of the command string, so no prompt can change what the shell runs. The command (or bwrap)
 * leads its own process group, and that whole group is killed on timeout, on abort, and once the
 * command has exited, so no build leaves processes behind.
 */
export class CommandBuilder implements Builder {
  constructor(private readonly options: CommandBuilderOptions) {}

  async prepare(): Promise<void> {
    await this.options.sandbox?.probe();
  }

  async build(context: BuildContext, signal?: AbortSignal): Promise<void> {
    // BUILD_TIMEOUT_MS covers the whole build: handing over a source tree an earlier build filled is part of it.
    const deadline = performance.now() + this.options.timeoutMs;
    const paths = serverPaths(dirname(context.sourceDir), this.options.projectsRoot);
    if (signal?.aborted) throw BuildFailedError.stopped();
    if (!(await projectDirectoryExists(context.sourceDir, context.outputDir))) {
      throw new BuildFailedError('failed', "the project's directory is missing");
    }
    try {
      await prepareOutputDirectory(context.outputDir);
    } catch (error) {
      const detail = safeDetail(`the output folder could not be prepared: ${errorMessage(error)}`, paths);
      throw new BuildFailedError('failed', detail);
    }
    try {
      await this.options.sandbox?.grantWriteAccess(
        context.sourceDir,
        context.outputDir,
        AbortSignal.timeout(msUntil(deadline)),
      );
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw BuildFailedError.timedOut(this.options.timeoutMs);
      }
      const detail = safeDetail(`the build folders could not be handed to the sandbox: ${errorMessage(error)}`, paths);
      throw new BuildFailedError('failed', detail);
    }
    if (signal?.aborted) throw BuildFailedError.stopped();
    let cgroup: BuildCgroup | undefined;
    try {
      cgroup = this.options.sandbox?.memoryCgroup();
    } catch (error) {
      throw new BuildFailedError(
        'failed',
        safeDetail(`the build's memory limit could not be set: ${errorMessage(error)}`, paths),
      );
    }
    try {
      await this.run(context, paths, signal, cgroup, deadline);
    } finally {
      if (cgroup) await removeWhenEmpty(cgroup);
    }
  }

  private run(
    context: BuildContext,
    paths: Redaction[],
    signal: AbortSignal | undefined,
    cgroup: BuildCgroup | undefined,
    deadline: number,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.spawn(context, cgroup);
      } catch (error) {
        // E.g. a NUL character in an environment value; the message would quote the whole value.
        const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
        reject(new BuildFailedError('failed', `the build command could not be started (${code})`));
        return;
      }

      const stderr = new TailBuffer(STDERR_KEPT_BYTES);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        context.log.output('stderr', chunk);
      });
      child.stdout?.on('data', (chunk: Buffer) => context.log.output('stdout', chunk));
      context.log.note(`running BUILD_COMMAND${this.options.sandbox ? ' in the sandbox' : ''}`);
      let stopped: BuildFailedError | undefined;
      let settled = false;

      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // ESRCH: every process of the group has already ended.
        }
      };
      const stop = (reason: BuildFailedError): void => {
        stopped ??= reason;
        killGroup();
      };
      const timer = setTimeout(() => stop(BuildFailedError.timedOut(this.options.timeoutMs)), msUntil(deadline));
      const onAbort = (): void => stop(BuildFailedError.stopped());
      signal?.addEventListener('abort', onAbort, { once: true });

      const settle = (outcome: BuildFailedError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (outcome) reject(outcome);
        else resolve();
      };

      child.once('error', (error: Error) => {
        killGroup();
        settle(
          new BuildFailedError(
            'failed',
            safeDetail(`the build command could not be run: ${errorMessage(error)}`, paths),
          ),
        );
      });
      let grace: NodeJS.Timeout | undefined;
      child.once('exit', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        // Background jobs the command left running go with it; the group id is still held by them.
        killGroup();
        grace = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, OUTPUT_GRACE_MS);
      });
      child.once('close', (code: number | null, exitSignal: NodeJS.Signals | null) => {
        clearTimeout(grace);
        // Both streams are closed by now, all they printed read.
        context.log.ended('stdout');
        context.log.ended('stderr');
        context.log.note(`the build command ${howItEnded(code, exitSignal)}`);
        settle(stopped ?? failure(code, exitSignal, stderr.text(), paths, this.options.secrets, cgroup));
      });
    });
  }

  private spawn(context: BuildContext, cgroup: BuildCgroup | undefined): ChildProcess {
    const { sandbox, command } = this.options;
    if (sandbox) {
      const sandboxed = sandbox.argv({
        sourceDir: context.sourceDir,
        outputDir: context.outputDir,
        env: sandboxEnvironment(context),
        command,
      });
      const { file, args } = cgroup ? cgroup.wrap(sandboxed.file, sandboxed.args) : sandboxed;
      // bwrap's --die-with-parent ends the sandbox when this process dies, so no lifeline is needed.
      return spawn(file, args, { env: sandbox.hostEnvironment(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    return spawn('/bin/sh', ['-c', SUPERVISED_COMMAND, 'sh', command], {
      // The shell prefixes its messages with argv[0]: `sh: 1: …`, not the server's `/bin/sh`.
      argv0: 'sh',
      cwd: context.sourceDir,
      env: commandEnvironment(context),
      detached: true,
      // fd 3 is the lifeline SUPERVISED_COMMAND watches.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
  }
}

/** The documented build variables, with the output folder as the command sees it. */
function buildVariables(context: BuildContext, outputDir: string): Record<string, string> {
  return {
    PROJECT_ID: context.projectId,
    BUILD_ID: context.buildId,
    VERSION_ID: context.versionId,
    USER_ID: context.userId,
    FRAMEWORK: context.framework,
    PROMPT: context.prompt,
    OUTPUT_DIR: outputDir,
  };
}

/** Inside the sandbox: the build variables, the sandbox's PATH and a private HOME; nothing of the service. */
function sandboxEnvironment(context: BuildContext): Record<string, string> {
  return { ...buildVariables(context, SANDBOX_OUTPUT_DIR), PATH: SANDBOX_PATH, HOME: '/tmp' };
}

/**
 * Without the sandbox, the command's whole environment: the build's values, and PATH and HOME from
 * the service. Nothing else of the service's environment (database URL, secrets) reaches it,
 * though the command could still read it from /proc: that is what the sandbox is for.
 */
export function commandEnvironment(context: BuildContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = buildVariables(context, context.outputDir);
  for (const name of ['PATH', 'HOME']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Exit 0 is success; anything else fails with the tail of stderr (without server paths and
 * secrets), or as out of memory where the kernel says so.
 */
function failure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  paths: Redaction[],
  secrets: readonly string[],
  cgroup: BuildCgroup | undefined,
): BuildFailedError | undefined {
  if (code === 0) return undefined;
  if (cgroup?.ranOutOfMemory()) {
    return new BuildFailedError(
      'failed',
      `the build ran out of memory: its processes together may hold ${cgroup.maxBytes} bytes (BUILD_MEMORY_MAX_BYTES)`,
    );
  }
  const detail = safeDetail(stderr, paths, secrets);
  if (detail) return new BuildFailedError('failed', detail);
  return new BuildFailedError('failed', `the build command ${howItEnded(code, signal)} and wrote nothing to stderr`);
}

function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
}

/** How long a cgroup's processes may take to be gone once the build's process group was killed. */
const CGROUP_EMPTY_TRIES = 40;
const CGROUP_EMPTY_WAIT_MS = 25;

/** Removes an attempt's memory cgroup, waiting a moment for its last processes to be reaped. */
async function removeWhenEmpty(cgroup: BuildCgroup): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      cgroup.remove();
      return;
    } catch (error) {
      if (tries >= CGROUP_EMPTY_TRIES) {
        new Logger('CommandBuilder').warn(`a build's memory cgroup could not be removed: ${errorMessage(error)}`);
        return;
      }
      await new Promise((wait) => setTimeout(wait, CGROUP_EMPTY_WAIT_MS));
    }
  }
}

/** Keeps the last `max` bytes (roughly: whole chunks are dropped) of a stream. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= this.max) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

/** Whole milliseconds until `deadline` (a performance.now() value: no clock change moves it); 0 once passed. */
function msUntil(deadline: number): number {
  return Math.max(0, Math.ceil(deadline - performance.now()));
}
