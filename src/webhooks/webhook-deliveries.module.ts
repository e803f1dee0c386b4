import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryReadsService } from './webhook-delivery-reads.service';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookRedeliveryService } from './webhook-redelivery.service';

/**
 * The webhooks' HTTP side: `GET /v1/webhooks/deliveries` and the redelivery, on the webhooks
 * module's tables. What records and sends the events is WebhooksModule's.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDelivery, WebhookEvent, WebhookDeliveryAttempt])],
  controllers: [WebhookDeliveriesController],
  providers: [WebhookDeliveryReadsService, WebhookRedeliveryService],
})
export class WebhookDeliveriesModule {}
