import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuildLogLine } from './build-log-line.entity';
import { BuildLog } from './build-log.entity';
import { BuildLogsService } from './build-logs.service';

/** Owns `build_logs` and `build_log_lines`: builds' logs, written by the worker, read by the builds' routes. */
@Module({
  imports: [TypeOrmModule.forFeature([BuildLog, BuildLogLine])],
  providers: [BuildLogsService],
  exports: [BuildLogsService],
})
export class BuildLogsModule {}
