import { PageCursorField, PageLimitField } from '../../api-fields/page-fields.decorator';

/** `?limit=&cursor=`: a page of every delivery, service-wide (no `userId`). */
export class ListWebhookDeliveriesQuery {
  @PageLimitField('deliveries')
  readonly limit?: number;

  @PageCursorField('MDFKRFJaOUE3QzNNNVA4UjJUNFY2WDhaMEI')
  readonly cursor?: string;
}
