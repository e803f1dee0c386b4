import { Module } from '@nestjs/common';
import { BuildQueueService } from './build-queue.service';
import { QueuePositionsService } from './queue-positions.service';

/**
 * Owns the pg-boss build queue: the job sent in a request's transaction, waking the workers, and a
 * waiting build's place in line.
 */
@Module({
  providers: [BuildQueueService, QueuePositionsService],
  exports: [BuildQueueService, QueuePositionsService],
})
export class BuildQueueModule {}
