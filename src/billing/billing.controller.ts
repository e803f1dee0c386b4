import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../http/api-problems.decorator';
import { ProblemDetailsDto } from '../http/problem-details.dto';
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
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Grant AI time to a user',
    description:
      'Adds the seconds to the balance and records the grant in the ledger. A user the service has never seen first gets the welcome balance, then the grant. Not idempotent: a retried grant is granted again.',
  })
  @ApiCreatedResponse({ description: 'The balance after the grant.', type: AiTimeBalanceResponse })
  @ApiProblems(
    'validation_failed',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  grant(@Param() { userId }: BillingUserParams, @Body() request: GrantAiTimeRequest): Promise<AiTimeBalanceResponse> {
    return this.billing.grant(userId, request);
  }
}
