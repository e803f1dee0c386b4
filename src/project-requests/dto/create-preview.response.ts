import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { IdSource } from '../../projects/project.entity';
import { QueuedBuildResponse } from './queued-build.response';

export class CreatePreviewResponse extends QueuedBuildResponse {
  @ApiProperty({
    description: 'The new project (UUID v4, chosen by the server unless a legacy id was accepted).',
    format: 'uuid',
    example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
  })
  declare readonly projectId: string;

  @ApiProperty({
    description: 'Who chose projectId: the server, or a legacy client.',
    enum: ['server', 'client'],
    example: 'server',
  })
  readonly idSource: IdSource;

  @ApiProperty({
    description: 'The service that created the project.',
    enum: ['worker-service'],
    example: 'worker-service',
  })
  readonly createdBy: 'worker-service';

  @ApiPropertyOptional({
    description:
      'Present (true) only on a 200: an identical create from the same user inside the dedupe window, answered with the first request’s body.',
    enum: [true],
    example: true,
  })
  readonly deduplicated?: true;
}
