import { Controller, Delete, HttpCode, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { OwnerQuery } from '../projects/dto/owner.query';
import { ProjectParams } from '../projects/dto/project.params';
import { DeleteProjectService } from './delete-project.service';

@ApiTags('projects')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/projects')
export class DeleteProjectController {
  constructor(private readonly projects: DeleteProjectService) {}

  @Delete(':projectId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a project',
    description:
      'The project, its builds, versions, sessions, queued jobs and directory go. AI time already billed stays billed.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems('validation_failed', 'project_not_found', 'request_in_progress', 'database_unavailable')
  async delete(@Param() { projectId }: ProjectParams, @Query() { userId }: OwnerQuery): Promise<void> {
    await this.projects.delete(userId, projectId);
  }
}
