import { ApiProperty } from '@nestjs/swagger';
import { UuidField } from '../../api-fields/uuid-field.decorator';

/** The path of every billing route: the user whose AI time it is. */
export class BillingUserParams {
  @ApiProperty({
    description: 'The user whose AI time this is.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;
}
