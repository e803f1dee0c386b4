import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { ListProjectsQuery } from './dto/list-projects.query';
import { OwnerQuery } from './dto/owner.query';
import { ProjectListResponse } from './dto/project-list.response';
import { ProjectParams } from './dto/project.params';
import { ProjectResponse } from './dto/project.response';
import { ProjectReadsService } from './project-reads.service';

@ApiTags('projects')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/projects')
export class ProjectReadsController {
  constructor(private readonly projects: ProjectReadsService) {}

  @Get()
  @ApiOperation({
    summary: "A user's projects, newest first",
    description: 'Cursor pagination: pass each page’s `nextCursor` as `cursor` until it is null.',
  })
  @ApiOkResponse({ description: 'One page of projects.', type: ProjectListResponse })
  @ApiProblems('validation_failed', 'database_unavailable')
  list(@Query() { userId, limit, cursor }: ListProjectsQuery): Promise<ProjectListResponse> {
    return this.projects.listOwned(userId, { limit, cursor });
  }

  @Get(':projectId')
  @ApiOperation({
    summary: 'A project',
    description: 'A project that does not exist and one another user owns are the same 404.',
  })
  @ApiOkResponse({ description: 'The project.', type: ProjectResponse })
  @ApiProblems('validation_failed', 'project_not_found', 'database_unavailable')
  get(@Param() { projectId }: ProjectParams, @Query() { userId }: OwnerQuery): Promise<ProjectResponse> {
    return this.projects.getOwned(userId, projectId);
  }
}
