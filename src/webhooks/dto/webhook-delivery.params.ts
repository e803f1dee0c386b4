import { ApiProperty } from '@nestjs/swagger';
import { UlidField } from '../../api-fields/ulid-field.decorator';

export class WebhookDeliveryParams {
  @ApiProperty({ description: 'The delivery (ULID; case-insensitive).', example: '01JDRZ9A7C3M5P8R2T4V6X8Z0B' })
  @UlidField()
  readonly deliveryId: string;
}
