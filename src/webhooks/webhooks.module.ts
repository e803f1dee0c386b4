import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryClaimsService } from './webhook-delivery-claims.service';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookOutboxService } from './webhook-outbox.service';
import { WebhookRetentionService } from './webhook-retention.service';

/**
 * Outbound webhooks (ADR 040): the outbox every module that records an outcome writes in its own
 * transaction (WebhookOutboxService), its delivery in worker processes (WebhookDispatcher), and its
 * retention, which the janitor runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEvent, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint])],
  providers: [WebhookOutboxService, WebhookDeliveryClaimsService, WebhookDispatcher, WebhookRetentionService],
  exports: [WebhookOutboxService, WebhookRetentionService],
})
export class WebhooksModule {}
