import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { OwnerQuery } from '../projects/dto/owner.query';
import { ProjectParams } from '../projects/dto/project.params';
import { VersionListResponse } from './dto/version-list.response';
import { VersionReadsService } from './version-reads.service';

@ApiTags('projects')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/projects/:projectId/versions')
export class VersionReadsController {
  constructor(private readonly versions: VersionReadsService) {}

  @Get()
  @ApiOperation({
    summary: "A project's versions, newest first",
    description:
      'Only successful builds make versions: a project whose builds are queued, running or failed may have none.',
  })
  @ApiOkResponse({ description: 'The versions.', type: VersionListResponse })
  @ApiProblems('validation_failed', 'project_not_found', 'database_unavailable')
  list(@Param() { projectId }: ProjectParams, @Query() { userId }: OwnerQuery): Promise<VersionListResponse> {
    return this.versions.listOwned(userId, projectId);
  }
}
