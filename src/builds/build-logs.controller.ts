import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { BuildLogReadsService } from './build-log-reads.service';
import { BuildParams } from './dto/build.params';
import { BuildLogPageResponse } from './dto/build-log-page.response';
import { BuildLogsQuery } from './dto/build-logs.query';

@ApiTags('builds')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/builds')
export class BuildLogsController {
  constructor(private readonly logs: BuildLogReadsService) {}

  @Get(':buildId/logs')
  @ApiOperation({
    summary: "A build's log",
    description:
      "What the build's attempts printed (stdout and stderr, and the worker's own `system` lines), oldest first, " +
      'also for failed builds; kept to BUILD_LOG_MAX_BYTES per build by dropping the oldest lines. Secrets of the ' +
      'service and server paths never appear. A build that does not exist and one of another user are the same 404.',
  })
  @ApiOkResponse({ description: 'A page of the log.', type: BuildLogPageResponse })
  @ApiProblems('validation_failed', 'build_not_found', 'database_unavailable')
  get(
    @Param() { buildId }: BuildParams,
    @Query() { userId, after, limit }: BuildLogsQuery,
  ): Promise<BuildLogPageResponse> {
    return this.logs.getOwnedPage(userId, buildId, { after, limit });
  }
}
