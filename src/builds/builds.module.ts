import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuildLogsModule } from '../build-logs/build-logs.module';
import { BuildQueueModule } from '../build-queue/build-queue.module';
import { BuildEventsController } from './build-events.controller';
import { BuildLogReadsService } from './build-log-reads.service';
import { BuildLogsController } from './build-logs.controller';
import { BuildMetrics } from './build-metrics.entity';
import { BuildReadsController } from './build-reads.controller';
import { BuildReadsService } from './build-reads.service';
import { BuildStatusListener } from './build-status-events.listener';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildsService } from './builds.service';

/**
 * Owns `project_build_metrics`: the build row, its reads, its log's read (stored by BuildLogsModule)
 * and its status and log stream.
 */
@Module({
  imports: [TypeOrmModule.forFeature([BuildMetrics]), BuildQueueModule, BuildLogsModule],
  controllers: [BuildReadsController, BuildLogsController, BuildEventsController],
  providers: [BuildsService, BuildReadsService, BuildLogReadsService, BuildStatusListener, BuildStatusEventsService],
  exports: [BuildsService, BuildReadsService, BuildStatusListener],
})
export class BuildsModule {}
