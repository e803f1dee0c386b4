import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookBacklogService } from './webhook-backlog.service';
import { WebhookDelivery } from './webhook-delivery.entity';

/**
 * The webhooks' backlog, read for MetricsModule. Apart from WebhooksModule, whose dispatcher counts
 * its attempts in the global MetricsModule: MetricsModule importing WebhooksModule would close a cycle.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookDelivery])],
  providers: [WebhookBacklogService],
  exports: [WebhookBacklogService],
})
export class WebhookBacklogModule {}
