import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WebhookDeliveryResponse } from './webhook-delivery.response';

export class WebhookDeliveryListResponse {
  @ApiProperty({ description: 'The page, newest first (by deliveryId, descending).', type: [WebhookDeliveryResponse] })
  readonly items: WebhookDeliveryResponse[];

  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page.',
    example: 'MDFKRFJaOUE3QzNNNVA4UjJUNFY2WDhaMEI',
  })
  readonly nextCursor?: string;
}
