import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { replyWithOutcome } from '../idempotency/reply-with-outcome';
import { AnswersRepeatedSignatures } from '../http/repeated-signature.decorator';
import { ApiIdempotencyKey } from '../api-fields/api-idempotency-key.decorator';
import { IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { UpdateProjectRequest } from './dto/update-project.request';
import { UpdateProjectResponse } from './dto/update-project.response';
import { UpdateProjectService } from './update-project.service';

@ApiTags('previews')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1')
export class UpdateProjectController {
  constructor(private readonly updateProject: UpdateProjectService) {}

  @Post('update-project')
  @AnswersRepeatedSignatures()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a new build of an existing project',
    description:
      'Queues a build (not the initial one) with the new prompt, its AI-time session and its job atomically; a `framework` switches the project to it. One build per project at a time: while one is queued or running the answer is 409 build_in_progress naming it (`buildId`), also for an identical repeat without an Idempotency-Key. The new version exists only if the build succeeds.',
  })
  @ApiAcceptedResponse({ description: 'The build is queued.', type: UpdateProjectResponse })
  @ApiIdempotencyKey('update-7d8f4f0e-0001')
  @ApiProblems(
    'validation_failed',
    'project_not_found',
    'build_in_progress',
    'idempotency_key_reused',
    'rate_limited',
    'insufficient_ai_time',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  async update(
    @Body() request: UpdateProjectRequest,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UpdateProjectResponse> {
    return replyWithOutcome(reply, await this.updateProject.update(request, idempotencyKey));
  }
}
