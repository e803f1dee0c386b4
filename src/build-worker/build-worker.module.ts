import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BuildLogsModule } from '../build-logs/build-logs.module';
import { BuildQueueModule } from '../build-queue/build-queue.module';
import { BuildsModule } from '../builds/builds.module';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { AttemptLogsService } from './attempt-logs.service';
import { BuildCancelController } from './build-cancel.controller';
import { BuildCancelService } from './build-cancel.service';
import { BuildOutcomesService } from './build-outcomes.service';
import { BuildRunnerService } from './build-runner.service';
import { BuildWorkerService } from './build-worker.service';
import { BuildersModule } from './builders/builders.module';

/**
 * Runs the builds, in worker processes: consumes the queue, runs each attempt and records its
 * outcome. Its outcomes also serve the delete and the janitor, and its cancel
 * (`POST /v1/builds/:buildId/cancel`) the API, in every process.
 */
@Module({
  imports: [
    BuildsModule,
    BuildLogsModule,
    BuildQueueModule,
    BuildersModule,
    ProjectsModule,
    VersionsModule,
    BillingModule,
    WorkspaceModule,
    WebhooksModule,
  ],
  controllers: [BuildCancelController],
  providers: [AttemptLogsService, BuildOutcomesService, BuildRunnerService, BuildWorkerService, BuildCancelService],
  exports: [BuildOutcomesService],
})
export class BuildWorkerModule {}
