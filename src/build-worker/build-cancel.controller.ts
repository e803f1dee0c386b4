import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { BuildParams } from '../builds/dto/build.params';
import { BuildResponse } from '../builds/dto/build.response';
import { BuildCancelService } from './build-cancel.service';
import { CancelBuildRequest } from './dto/cancel-build.request';

@ApiTags('builds')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/builds')
export class BuildCancelController {
  constructor(private readonly cancels: BuildCancelService) {}

  @Post(':buildId/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a build',
    description:
      'A queued build never starts; a running one is stopped wherever its worker runs. The build becomes `canceled`, ' +
      'with no version; its AI-time session is closed and the time its attempts ran is billed once (nothing for a ' +
      'build that never started); the project goes back to where it was (`ready` on its current version, or `failed` ' +
      'for a first build), and may be updated again at once. A build already canceled gets the same answer again; ' +
      'one that succeeded or failed is 409 build_finished. A build that does not exist and one of another user are ' +
      'the same 404.',
  })
  @ApiOkResponse({ description: 'The build, canceled (as `GET /v1/builds/{buildId}` reads it).', type: BuildResponse })
  @ApiProblems(
    'validation_failed',
    'build_not_found',
    'build_finished',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  cancel(@Param() { buildId }: BuildParams, @Body() { userId }: CancelBuildRequest): Promise<BuildResponse> {
    return this.cancels.cancel(userId, buildId);
  }
}
