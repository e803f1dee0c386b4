import { DomainError } from '../errors/domain-error';

export class WebhookDeliveryNotFoundError extends DomainError {
  readonly code = 'delivery_not_found';

  constructor(deliveryId: string) {
    super('Delivery not found', `No webhook delivery ${deliveryId} exists.`);
  }
}
