import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '../billing/billing.module';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { BuildEventsController } from './build-events.controller';
import { BuildMetrics } from './build-metrics.entity';
import { BuildOutcomes } from './build-outcomes.service';
import { BuildQueueService } from './build-queue.service';
import { BuildReadsController } from './build-reads.controller';
import { BuildReadsService } from './build-reads.service';
import { BuildRunner } from './build-runner.service';
import { BuildStatusListener } from './build-status-events.listener';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildWorker } from './build-worker.service';
import { BuildersModule } from './builders/builders.module';
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
    BuildOutcomes,
    BuildRunner,
    BuildWorker,
    BuildReadsService,
    BuildStatusListener,
    BuildStatusEventsService,
  ],
  exports: [BuildsService, BuildQueueService, BuildOutcomes],
})
export class BuildsModule {}
