import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { OptionalField } from '../../api-fields/optional-field.decorator';
import { TextField } from '../../api-fields/text-field.decorator';
import { UuidField } from '../../api-fields/uuid-field.decorator';
import { DEFAULT_FRAMEWORK, FRAMEWORKS } from '../../projects/framework';
import type { Framework } from '../../projects/framework';
import { DEFAULT_PROJECT_NAME } from '../../projects/project.entity';

export class CreatePreviewRequest {
  @ApiProperty({
    description: 'The user who owns the new project.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;

  @ApiProperty({
    description: 'What the app should be. Stored verbatim; never passed to a shell.',
    minLength: 1,
    maxLength: 20000,
    example: 'A todo app with dark mode and drag-and-drop reordering',
  })
  @TextField(1, 20000)
  readonly prompt: string;

  @ApiPropertyOptional({
    description: 'The framework to build with.',
    enum: FRAMEWORKS,
    default: DEFAULT_FRAMEWORK,
    example: 'nextjs',
  })
  @OptionalField()
  @IsIn(FRAMEWORKS)
  readonly framework?: Framework;

  @ApiPropertyOptional({
    description: 'A display name.',
    minLength: 1,
    maxLength: 120,
    default: DEFAULT_PROJECT_NAME,
    example: 'Todo app',
  })
  @OptionalField()
  @TextField(1, 120)
  readonly name?: string;

  @ApiPropertyOptional({
    description:
      'Legacy: a project id chosen by the caller, accepted only if no project has it (else 409 project_id_conflict). Omit it: the server chooses ids.',
    format: 'uuid',
    deprecated: true,
    example: '0b6c9a4e-3f1d-4a7b-8c2e-5d6f7a8b9c0d',
  })
  @OptionalField()
  @UuidField()
  readonly projectId?: string;
}
