import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { AnswersRepeatedSignatures } from '../http/repeated-signature.decorator';
import { ApiIdempotencyKey } from '../api-fields/api-idempotency-key.decorator';
import { IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { replyWithOutcome } from '../idempotency/reply-with-outcome';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { BillingService } from './billing.service';
import { AiTimeBalanceResponse } from './dto/ai-time-balance.response';
import { BillingUserParams } from './dto/billing-user.params';
import { GrantAiTimeRequest } from './dto/grant-ai-time.request';

@ApiTags('billing')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/billing/:userId')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('balance')
  @ApiOperation({
    summary: "A user's AI-time balance",
    description:
      'A user the service has never seen gets the welcome balance they would start with (AI_TIME_WELCOME_SECONDS); reading writes nothing.',
  })
  @ApiOkResponse({ description: 'The balance.', type: AiTimeBalanceResponse })
  @ApiProblems('validation_failed', 'database_unavailable')
  balance(@Param() { userId }: BillingUserParams): Promise<AiTimeBalanceResponse> {
    return this.billing.balanceOf(userId);
  }

  @Post('grants')
  @AnswersRepeatedSignatures()
  @ApiOperation({
    summary: 'Grant AI time to a user',
    description:
      'Adds the seconds to the balance and records the grant in the ledger. A user the service has never seen first gets the welcome balance, then the grant. Send an Idempotency-Key: a retry under it replays the first answer and grants nothing more; without one, each request signed anew is a grant of its own.',
  })
  @ApiIdempotencyKey('grant-7d8f4f0e-0001', ' and nothing more is granted')
  @ApiCreatedResponse({ description: 'The balance after the grant.', type: AiTimeBalanceResponse })
  @ApiProblems(
    'validation_failed',
    'idempotency_key_reused',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  async grant(
    @Param() { userId }: BillingUserParams,
    @Body() request: GrantAiTimeRequest,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AiTimeBalanceResponse> {
    return replyWithOutcome(reply, await this.billing.grant(userId, request, idempotencyKey));
  }
}
