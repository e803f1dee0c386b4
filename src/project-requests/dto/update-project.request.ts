import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { OptionalField } from '../../api-fields/optional-field.decorator';
import { TextField } from '../../api-fields/text-field.decorator';
import { UuidField } from '../../api-fields/uuid-field.decorator';
import { FRAMEWORKS } from '../../projects/framework';
import type { Framework } from '../../projects/framework';

export class UpdateProjectRequest {
  @ApiProperty({
    description: 'The user who owns the project.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;

  @ApiProperty({
    description: 'The project to build again. Unknown, or owned by another user: 404 project_not_found.',
    format: 'uuid',
    example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
  })
  @UuidField()
  readonly projectId: string;

  @ApiProperty({
    description: 'What to change. Stored verbatim; never passed to a shell.',
    minLength: 1,
    maxLength: 20000,
    example: 'Add a settings page with a language switch',
  })
  @TextField(1, 20000)
  readonly prompt: string;

  @ApiPropertyOptional({
    description:
      "The framework to build with, which the project switches to; defaults to the project's current framework.",
    enum: FRAMEWORKS,
    example: 'nextjs',
  })
  @OptionalField()
  @IsIn(FRAMEWORKS)
  readonly framework?: Framework;
}
