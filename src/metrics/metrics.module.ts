import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { BuildWorkerMetrics } from './build-worker-metrics.service';
import { DatabasePoolMetrics } from './database-pool-metrics.service';
import { createMetricsRegistry } from './metrics-registry';
import { MetricsController } from './metrics.controller';
import { ProjectMetrics } from './project-metrics.service';

/**
 * Owns this process's metrics registry and `GET /metrics`. Global, so the modules that record
 * something (previews, builds) inject their metrics without importing this module.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: Registry, useFactory: createMetricsRegistry },
    ProjectMetrics,
    BuildWorkerMetrics,
    DatabasePoolMetrics,
  ],
  exports: [ProjectMetrics, BuildWorkerMetrics],
})
export class MetricsModule {}
