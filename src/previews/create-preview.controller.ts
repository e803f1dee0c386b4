import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../http/api-problems.decorator';
import { ProblemDetailsDto } from '../http/problem-details.dto';
import { CreatePreviewService } from './create-preview.service';
import { CreatePreviewRequest } from './dto/create-preview.request';
import { CreatePreviewResponse } from './dto/create-preview.response';

@ApiTags('previews')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1')
export class CreatePreviewController {
  constructor(private readonly createPreview: CreatePreviewService) {}

  @Post('create-preview-for-new-project')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a project and queue its first build',
    description:
      'Creates the project, its build, its AI-time session, the build job and the project directory atomically. Ids are chosen by the server.',
  })
  @ApiCreatedResponse({ description: 'The project exists with its queued build.', type: CreatePreviewResponse })
  @ApiProblems(
    'validation_failed',
    'insufficient_ai_time',
    'project_id_conflict',
    'request_in_progress',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  create(@Body() request: CreatePreviewRequest): Promise<CreatePreviewResponse> {
    return this.createPreview.create(request);
  }
}
