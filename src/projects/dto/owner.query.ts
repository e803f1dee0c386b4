import { ApiProperty } from '@nestjs/swagger';
import { UuidField } from '../../api-fields/uuid-field.decorator';

/** `?userId=` on every read: the user asking, who must own what is read. */
export class OwnerQuery {
  @ApiProperty({
    description: 'The user asking; only what this user owns is found (anything else is a 404).',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;
}
