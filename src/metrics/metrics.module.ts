import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { WebhookBacklogModule } from '../webhooks/webhook-backlog.module';
import { BuildWorkerMetricsService } from './build-worker-metrics.service';
import { DatabasePoolMetricsService } from './database-pool-metrics.service';
import { createMetricsRegistry } from './metrics-registry';
import { MetricsController } from './metrics.controller';
import { ProjectMetricsService } from './project-metrics.service';
import { WebhookMetricsService } from './webhook-metrics.service';

/**
 * Owns this process's metrics registry and `GET /metrics`. Global, so the modules that record
 * something (previews, builds) inject their metrics without importing this module.
 */
@Global()
@Module({
  imports: [WebhookBacklogModule],
  controllers: [MetricsController],
  providers: [
    { provide: Registry, useFactory: createMetricsRegistry },
    ProjectMetricsService,
    BuildWorkerMetricsService,
    DatabasePoolMetricsService,
    WebhookMetricsService,
  ],
  exports: [ProjectMetricsService, BuildWorkerMetricsService, WebhookMetricsService],
})
export class MetricsModule {}
