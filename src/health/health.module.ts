import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BuildsModule } from '../builds/builds.module';
import { EventLoopDelay } from './event-loop-delay';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), BuildsModule],
  controllers: [HealthController],
  providers: [EventLoopDelay],
})
export class HealthModule {}
