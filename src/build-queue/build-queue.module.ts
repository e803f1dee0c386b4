import { Module } from '@nestjs/common';
import { BuildQueueService } from './build-queue.service';

/** Owns the pg-boss build queue: the job sent in a request's transaction, and waking the workers. */
@Module({
  providers: [BuildQueueService],
  exports: [BuildQueueService],
})
export class BuildQueueModule {}
