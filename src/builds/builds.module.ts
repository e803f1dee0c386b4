import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '../billing/billing.module';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { BuildEventsController } from './build-events.controller';
import { BuildMetrics } from './build-metrics.entity';
import { BuildOutcomesService } from '../build-worker/build-outcomes.service';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { BuildReadsController } from './build-reads.controller';
import { BuildReadsService } from './build-reads.service';
import { BuildRunnerService } from '../build-worker/build-runner.service';
import { BuildStatusListener } from './build-status-events.listener';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildWorkerService } from '../build-worker/build-worker.service';
import { BuildersModule } from '../build-worker/builders/builders.module';
import { BuildsService } from './builds.service';

/** Owns `project_build_metrics` and the build queue; in worker processes, runs the builds. */
@Module({
  imports: [
    TypeOrmModule.forFeature([BuildMetrics]),
    BuildersModule,
    ProjectsModule,
    VersionsModule,
    BillingModule,
    WorkspaceModule,
  ],
  controllers: [BuildReadsController, BuildEventsController],
  providers: [
    BuildsService,
    BuildQueueService,
    BuildOutcomesService,
    BuildRunnerService,
    BuildWorkerService,
    BuildReadsService,
    BuildStatusListener,
    BuildStatusEventsService,
  ],
  exports: [BuildsService, BuildQueueService, BuildOutcomesService],
})
export class BuildsModule {}
