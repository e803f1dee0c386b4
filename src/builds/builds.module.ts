import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuildQueueModule } from '../build-queue/build-queue.module';
import { BuildEventsController } from './build-events.controller';
import { BuildMetrics } from './build-metrics.entity';
import { BuildReadsController } from './build-reads.controller';
import { BuildReadsService } from './build-reads.service';
import { BuildStatusListener } from './build-status-events.listener';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildsService } from './builds.service';

/** Owns `project_build_metrics`: the build row, its reads and its status stream. */
@Module({
  imports: [TypeOrmModule.forFeature([BuildMetrics]), BuildQueueModule],
  controllers: [BuildReadsController, BuildEventsController],
  providers: [BuildsService, BuildReadsService, BuildStatusListener, BuildStatusEventsService],
  exports: [BuildsService, BuildReadsService, BuildStatusListener],
})
export class BuildsModule {}
