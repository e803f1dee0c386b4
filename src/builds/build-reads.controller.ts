import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { OwnerQuery } from '../projects/dto/owner.query';
import { BuildReadsService } from './build-reads.service';
import { BuildParams } from './dto/build.params';
import { BuildResponse } from './dto/build.response';

@ApiTags('builds')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/builds')
export class BuildReadsController {
  constructor(private readonly builds: BuildReadsService) {}

  @Get(':buildId')
  @ApiOperation({
    summary: 'A build',
    description: 'A build that does not exist and one of another user are the same 404.',
  })
  @ApiOkResponse({ description: 'The build.', type: BuildResponse })
  @ApiProblems('validation_failed', 'build_not_found', 'database_unavailable')
  get(@Param() { buildId }: BuildParams, @Query() { userId }: OwnerQuery): Promise<BuildResponse> {
    return this.builds.getOwned(userId, buildId);
  }
}
