import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BuildsModule } from '../builds/builds.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), BuildsModule],
  controllers: [HealthController],
})
export class HealthModule {}
