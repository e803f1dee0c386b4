import { Inject, Injectable, Logger } from '@nestjs/common';
import { context, propagation, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { DataSource } from 'typeorm';
import { BuildStatusListener } from '../builds/build-status-events.listener';
import type { BuildStatusSubscription } from '../builds/build-status-events.listener';
import { runWithLogFields } from '../logging/log-fields';
import { inSpan } from '../telemetry/spans';
import { BuildOutputsService } from '../workspace/build-outputs.service';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';
import { AttemptLease } from './attempt-lease';
import { AttemptLogsService } from './attempt-logs.service';
import { BuildJob } from '../build-queue/build-job';
import { BuildOutcomesService } from './build-outcomes.service';
import { checkPublishableOutput } from './build-output-check';
import { BUILDER, BuildFailedError } from './builders/builder';
import type { Builder } from './builders/builder';
import { BuildersConfig } from './builders/builders.config';
import { removeTree } from '../workspace/remove-tree';

/** One run of a build job, as the queue hands it over. */
export interface BuildAttempt {
  data: BuildJob;
  /** The queue will not run the job again if this attempt fails (from the job's own retry limit). */
  isLastAttempt: boolean;
  /** Aborted when the queue takes the job back from this worker (shutdown, lost claim). */
  signal: AbortSignal;
}

/**
 * Runs one attempt of a build: starts it, runs the builder into the attempt's own output folder
 * while holding the attempt's lease, checks that the output may be published (regular files and
 * folders only, within the limits), stores the attempt's log, and has BuildOutcomesService record
 * what came of it.
 */
@Injectable()
export class BuildRunnerService {
  private readonly logger = new Logger(BuildRunnerService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outcomes: BuildOutcomesService,
    private readonly directories: ProjectDirectoriesService,
    private readonly outputs: BuildOutputsService,
    @Inject(BUILDER) private readonly builder: Builder,
    private readonly buildersConfig: BuildersConfig,
    private readonly statusListener: BuildStatusListener,
    private readonly attemptLogs: AttemptLogsService,
  ) {}

  /**
   * Resolves when the attempt is over; rejects to have the queue retry the job. The attempt is a
   * span in the trace of the request that queued the build, and every log line of it carries the
   * build's ids.
   */
  run(attempt: BuildAttempt): Promise<void> {
    const { buildId, projectId, userId } = attempt.data;
    const ids = { project_id: projectId, build_id: buildId, user_id: userId };
    const queuedBy = propagation.extract(ROOT_CONTEXT, attempt.data.trace ?? {});
    return runWithLogFields(ids, () =>
      context.with(queuedBy, () =>
        inSpan('build.attempt', (span) => this.runAttempt(attempt, span), { kind: SpanKind.CONSUMER, attributes: ids }),
      ),
    );
  }

  private async runAttempt(attempt: BuildAttempt, span: Span): Promise<void> {
    const { buildId, projectId, userId } = attempt.data;
    const started = await this.outcomes.startAttempt(attempt.data);
    if (!started) return;
    const { build, projectName } = started;
    span.setAttribute('build.attempt', build.attempts);
    const outputDir = this.outputs.attemptOutputDirectory(userId, projectId, buildId, build.attempts);
    const log = this.attemptLogs.open(buildId, build.attempts, this.directories.projectDirectory(userId, projectId));
    log.note(`attempt ${build.attempts} started`);

    const lease = new AttemptLease(
      () => this.outcomes.isAttemptCurrent(this.dataSource.manager, build),
      attempt.signal,
    );
    const watching = this.watchStatus(buildId, lease);
    let failure: BuildFailedError | undefined;
    try {
      await this.directories.ensureBuildLayout(userId, projectId);
      await this.builder.build(
        {
          projectId,
          buildId,
          versionId: build.versionId,
          userId,
          framework: build.framework,
          prompt: build.prompt,
          projectName,
          sourceDir: this.directories.sourceDirectory(userId, projectId),
          outputDir,
          log,
        },
        lease.signal,
      );
      await checkPublishableOutput(outputDir, this.buildersConfig.output);
    } catch (error) {
      failure =
        error instanceof BuildFailedError ? error : new BuildFailedError('failed', 'the builder stopped unexpectedly');
    } finally {
      lease.release();
      void watching.then((subscription) => subscription?.close());
    }
    if (failure) log.note(failure.message);
    // The whole log is stored before the outcome, so a finished build's log is complete.
    await log.close();
    // Once the build has finished, whoever recorded it (BuildOutcomesService, BuildCancelService) removes every
    // attempt's leftovers; an attempt that records nothing (no longer current) removes its own, and never another's.
    if (!failure && (await this.outcomes.recordSuccess(build))) {
      this.logger.log(`build succeeded on attempt ${build.attempts}`);
      return;
    }
    await removeTree(outputDir);
    if (!failure) return;
    if (lease.lost) {
      // The queue took the job back (and retries it), or the build was deleted or taken over: the
      // stop is not the build's failure. The time it ran is billed if the attempt is still current.
      this.logger.warn(`build attempt ${build.attempts} stopped: its lease was lost`);
      await this.outcomes.recordAttemptTime(build);
      return;
    }
    this.logger.warn(`build attempt ${build.attempts} failed: ${failure.reason}`);
    if (!attempt.isLastAttempt) {
      await this.outcomes.recordAttemptTime(build);
      throw failure;
    }
    await this.outcomes.recordFailure(build, `${failure.reason}: ${failure.detail}`);
    this.logger.warn(`build failed after ${build.attempts} attempts: ${failure.reason}`);
  }

  /**
   * Has the lease checked as soon as the build's status changes in any process (a cancel: ADR 035),
   * rather than at its next poll. Without the LISTEN connection the poll alone still sees the change
   * within a second, so a failure to open it is only logged; the build does not wait for it.
   */
  private async watchStatus(buildId: string, lease: AttemptLease): Promise<BuildStatusSubscription | undefined> {
    try {
      const subscription = await this.statusListener.subscribe(buildId);
      lease.watch(subscription.changes);
      return subscription;
    } catch (error) {
      this.logger.warn(`build status changes are not heard, the lease polls alone: ${(error as Error).message}`);
      return undefined;
    }
  }
}
