import { ApiProperty } from '@nestjs/swagger';
import { UuidField } from '../../api-fields/uuid-field.decorator';

export class ProjectParams {
  @ApiProperty({ description: 'The project.', format: 'uuid', example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' })
  @UuidField()
  readonly projectId: string;
}
