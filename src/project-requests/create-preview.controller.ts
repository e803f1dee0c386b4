import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { replyWithOutcome } from '../idempotency/reply-with-outcome';
import { ApiIdempotencyKey } from '../api-fields/api-idempotency-key.decorator';
import { IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { SpendsItsOwnSignature } from '../http/repeated-signature.decorator';
import { UnspentSignature } from '../http/unspent-signature.decorator';
import type { SignatureToSpend } from '../http/spent-signatures.service';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { CreatePreviewService } from './create-preview.service';
import { CreatePreviewRequest } from './dto/create-preview.request';
import { CreatePreviewResponse } from './dto/create-preview.response';

@ApiTags('previews')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1')
export class CreatePreviewController {
  constructor(private readonly createPreview: CreatePreviewService) {}

  @Post('create-preview-for-new-project')
  @SpendsItsOwnSignature()
  @ApiOperation({
    summary: 'Create a project and queue its first build',
    description:
      'Creates the project, its build, its AI-time session, the build job and the project directory atomically. Ids are chosen by the server.',
  })
  @ApiCreatedResponse({ description: 'The project exists with its queued build.', type: CreatePreviewResponse })
  @ApiIdempotencyKey('create-7d8f4f0e-0001')
  @ApiOkResponse({
    description:
      'Deduplicated: an identical create (no key) from the same user inside the dedupe window; the first project, with `deduplicated: true`.',
    type: CreatePreviewResponse,
  })
  @ApiProblems(
    'validation_failed',
    'idempotency_key_reused',
    'rate_limited',
    'insufficient_ai_time',
    'project_id_conflict',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  async create(
    @Body() request: CreatePreviewRequest,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @UnspentSignature() signature: SignatureToSpend | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatePreviewResponse> {
    return replyWithOutcome(reply, await this.createPreview.create(request, idempotencyKey, signature));
  }
}
