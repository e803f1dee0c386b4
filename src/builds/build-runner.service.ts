import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { billableSeconds } from '../billing/ai-time-policy';
import { AiTimeSessionsService } from '../billing/ai-time-sessions.service';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { ProjectsService } from '../projects/projects.service';
import { VersionsService } from '../versions/versions.service';
import { WorkspaceService } from '../workspace/workspace.service';
import { BuildJob } from './build-job';
import { BuildMetrics } from './build-metrics.entity';
import { BUILDER, BuildFailedError } from './builders/builder';
import type { Builder } from './builders/builder';
import { BuildsService } from './builds.service';

/** One run of a build job, as pg-boss hands it over. */
export interface BuildAttempt {
  data: BuildJob;
  /** 0 for the first attempt. */
  retryCount: number;
  signal?: AbortSignal;
}

/**
 * Runs one attempt of a build and records its outcome, each step in a transaction of its own under
 * the user's lock and each idempotent, so a retry or a crash between steps repeats nothing: a
 * version row exists only for a build that succeeded, and its session is closed and billed once.
 */
@Injectable()
export class BuildRunner {
  private readonly logger = new Logger(BuildRunner.name);

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly builds: BuildsService,
    private readonly projects: ProjectsService,
    private readonly versions: VersionsService,
    private readonly sessions: AiTimeSessionsService,
    private readonly workspace: WorkspaceService,
    @Inject(BUILDER) private readonly builder: Builder,
  ) {}

  /** Resolves when the attempt's outcome is recorded; rejects to have pg-boss retry it. */
  async run(attempt: BuildAttempt, maxAttempts: number): Promise<void> {
    const { buildId, projectId, userId } = attempt.data;
    const started = await this.transactions.inTransaction(userLock(userId), async ({ manager }) => {
      const attemptStarted = await this.builds.startAttempt(manager, buildId);
      if (!attemptStarted) return undefined;
      await this.projects.markBuilding(manager, projectId, buildId);
      return { ...attemptStarted, projectName: (await this.projects.nameOf(manager, projectId)) ?? '' };
    });
    if (!started) return;

    const projectDir = this.workspace.projectDirectory(userId, projectId);
    try {
      await this.builder.build(
        {
          projectId,
          buildId,
          versionId: started.build.versionId,
          userId,
          framework: started.build.framework,
          prompt: started.build.prompt,
          projectName: started.projectName,
          sourceDir: join(projectDir, 'source'),
          outputDir: join(projectDir, 'builds', buildId),
        },
        attempt.signal,
      );
    } catch (error) {
      const failure =
        error instanceof BuildFailedError ? error : new BuildFailedError('failed', 'the builder stopped unexpectedly');
      this.logger.warn(`build ${buildId} attempt ${attempt.retryCount + 1} failed: ${failure.reason}`);
      if (attempt.retryCount + 1 < maxAttempts) {
        await this.transactions.inTransaction(userLock(userId), ({ manager }) =>
          this.builds.recordAttemptTime(manager, buildId, started.attemptStartedAt),
        );
        throw failure;
      }
      await this.recordFailure(started.build, started.attemptStartedAt, `${failure.reason}: ${failure.detail}`);
      return;
    }
    await this.recordSuccess(started.build, started.attemptStartedAt);
  }

  private recordSuccess(build: BuildMetrics, attemptStartedAt: Date): Promise<void> {
    return this.transactions.inTransaction(userLock(build.userId), async ({ manager }) => {
      const finished = await this.builds.finish(manager, build.buildId, attemptStartedAt, { status: 'succeeded' });
      if (!finished) return;
      await this.versions.recordSucceeded(manager, {
        versionId: build.versionId,
        buildId: build.buildId,
        projectId: build.projectId,
        userId: build.userId,
        prompt: build.prompt,
        framework: build.framework,
        artifactPath: join('builds', build.buildId),
      });
      await this.projects.markBuildFinished(manager, build.projectId, build.buildId, {
        status: 'ready',
        versionId: build.versionId,
      });
      await this.sessions.closeAndDebit(manager, {
        buildId: build.buildId,
        secondsUsed: billableSeconds(finished.durationMs),
      });
    });
  }

  private recordFailure(build: BuildMetrics, attemptStartedAt: Date, error: string): Promise<void> {
    return this.transactions.inTransaction(userLock(build.userId), async ({ manager }) => {
      const finished = await this.builds.finish(manager, build.buildId, attemptStartedAt, { status: 'failed', error });
      if (!finished) return;
      await this.projects.markBuildFinished(manager, build.projectId, build.buildId, { status: 'failed' });
      await this.sessions.closeAndDebit(manager, {
        buildId: build.buildId,
        secondsUsed: billableSeconds(finished.durationMs),
      });
    });
  }
}
