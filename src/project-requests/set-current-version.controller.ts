import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { ProjectParams } from '../projects/dto/project.params';
import { ProjectResponse } from '../projects/dto/project.response';
import { SetCurrentVersionRequest } from './dto/set-current-version.request';
import { SetCurrentVersionService } from './set-current-version.service';

@ApiTags('projects')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/projects')
export class SetCurrentVersionController {
  constructor(private readonly currentVersion: SetCurrentVersionService) {}

  @Post(':projectId/current-version')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Serve an earlier version again (rollback), without a build',
    description:
      'Makes one of the project\u2019s versions (a succeeded build\u2019s) current: its files are served again at the project\u2019s `livePreviewUrl`, with no build, no job and no AI time. `buildStatus` and `currentBuildId` stay as they are; allowed while a build is queued or running, which, if it succeeds, becomes current as any build does (if it fails, the version set here stays). The version already current changes nothing; a version whose files retention removed is `410 version_expired`. Answers the project as `GET /v1/projects/:projectId` reads it.',
  })
  @ApiOkResponse({ description: 'The project, now serving the version.', type: ProjectResponse })
  @ApiProblems(
    'validation_failed',
    'project_not_found',
    'version_not_found',
    'version_expired',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  set(
    @Param() { projectId }: ProjectParams,
    @Body() { userId, versionId }: SetCurrentVersionRequest,
  ): Promise<ProjectResponse> {
    return this.currentVersion.setCurrentVersion(userId, projectId, versionId);
  }
}
