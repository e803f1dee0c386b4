import { ApiProperty } from '@nestjs/swagger';
import { UuidField } from '../../api-fields/uuid-field.decorator';

export class CancelBuildRequest {
  @ApiProperty({
    description: 'The user who owns the build; any other user gets 404 build_not_found.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;
}
