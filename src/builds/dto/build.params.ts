import { ApiProperty } from '@nestjs/swagger';
import { UlidField } from '../../api-fields/ulid-field.decorator';

export class BuildParams {
  @ApiProperty({ description: 'The build (ULID; case-insensitive).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  @UlidField()
  readonly buildId: string;
}
