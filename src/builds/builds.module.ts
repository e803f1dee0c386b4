import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuildMetrics } from './build-metrics.entity';
import { BuildQueueService } from './build-queue.service';
import { BuildsService } from './builds.service';

@Module({
  imports: [TypeOrmModule.forFeature([BuildMetrics])],
  providers: [BuildsService, BuildQueueService],
  exports: [BuildsService, BuildQueueService],
})
export class BuildsModule {}
