import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BuildQueueModule } from '../build-queue/build-queue.module';
import { EventLoopDelay } from './event-loop-delay';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), BuildQueueModule],
  controllers: [HealthController],
  providers: [EventLoopDelay],
})
export class HealthModule {}
