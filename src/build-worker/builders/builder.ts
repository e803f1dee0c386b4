import type { Framework } from '../../projects/framework';

/** Injection token of the configured Builder (see builders.module.ts). */
export const BUILDER = Symbol('Builder');

/** Everything a builder needs for one attempt of one build. The directories are absolute. */
export interface BuildContext {
  readonly projectId: string;
  readonly buildId: string;
  readonly versionId: string;
  readonly userId: string;
  readonly framework: Framework;
  readonly prompt: string;
  readonly projectName: string;
  /** The project's `source/` folder; it exists before the build starts. */
  readonly sourceDir: string;
  /** The build's own `builds/<buildId>/` folder, which the builder creates (empty) before building. */
  readonly outputDir: string;
  /** Where the attempt's output goes: the build's log (ADR 037). */
  readonly log: BuildLogSink;
}

/**
 * Takes what an attempt prints. Never blocks and never throws: it splits, bounds, redacts and
 * stores on its own, so a builder hands over every chunk as it comes.
 */
export interface BuildLogSink {
  /** A chunk of what the build command printed on one stream, any bytes, not necessarily whole lines. */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /** The stream is closed: what it printed after its last line break is a line too. */
  ended(stream: 'stdout' | 'stderr'): void;
  /** What the builder itself says (`system` lines); each line break starts another line. */
  note(text: string): void;
}

/**
 * Turns a build's sources into its output. Resolves when the build succeeded; rejects with a
 * BuildFailedError when it failed or ran out of time, or was stopped through `signal`.
 */
export interface Builder {
  build(context: BuildContext, signal?: AbortSignal): Promise<void>;
  /** Rejects, with what to do, when this builder cannot run on this machine; a worker calls it once at start. */
  prepare?(): Promise<void>;
}

/** `stopped`: the attempt was stopped from outside (see AttemptLease); that is never the build's outcome. */
export type BuildFailureReason = 'failed' | 'timeout' | 'stopped';

const OUTCOME_WORDS: Record<BuildFailureReason, string> = {
  failed: 'failed',
  timeout: 'timed out',
  stopped: 'stopped',
};

/**
 * A build that did not succeed. `detail` is safe to show to callers: builders put no server path in
 * it (see build-failure-detail.ts) and keep it to about 2 KiB. Not a DomainError: it never reaches
 * HTTP as such, the worker records it on the build.
 */
export class BuildFailedError extends Error {
  constructor(
    readonly reason: BuildFailureReason,
    readonly detail: string,
  ) {
    super(`build ${OUTCOME_WORDS[reason]}: ${detail}`);
    this.name = 'BuildFailedError';
  }

  static timedOut(timeoutMs: number): BuildFailedError {
    return new BuildFailedError('timeout', `the build took longer than ${timeoutMs} ms and was stopped`);
  }

  /** Stopped through the caller's AbortSignal: the worker shuts down, or the attempt lost its lease. */
  static stopped(): BuildFailedError {
    return new BuildFailedError('stopped', 'the build was stopped before it finished');
  }
}
