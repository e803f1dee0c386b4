import { DynamicModule, Global, Module } from '@nestjs/common';
import { WorkerConfig } from './build-worker/worker.config';
import { AppConfig } from './app-config';
import { BillingConfig } from './billing/billing.config';
import { BuildLogsConfig } from './build-logs/build-logs.config';
import { BuildQueueConfig } from './build-queue/build-queue.config';
import { BuildersConfig } from './build-worker/builders/builders.config';
import { IdempotencyConfig } from './idempotency/idempotency.config';
import { JanitorConfig } from './integrity/janitor.config';
import { PreviewFilesConfig } from './preview-files/preview-files.config';
import { RateLimitsConfig } from './rate-limits/rate-limits.config';
import { SignatureConfig } from './http/signature.config';
import { WebhooksConfig } from './webhooks/webhooks.config';
import { WorkspaceConfig } from './workspace/workspace.config';

/** Makes each module's validated config injectable by its class (HTTP and database are used at boot). */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, roles: WorkerConfig): DynamicModule {
    const providers = [
      { provide: WorkerConfig, useValue: roles },
      { provide: SignatureConfig, useValue: config.signature },
      { provide: WorkspaceConfig, useValue: config.workspace },
      { provide: PreviewFilesConfig, useValue: config.previewFiles },
      { provide: BillingConfig, useValue: config.billing },
      { provide: BuildQueueConfig, useValue: config.buildQueue },
      { provide: BuildersConfig, useValue: config.builders },
      { provide: BuildLogsConfig, useValue: config.buildLogs },
      { provide: IdempotencyConfig, useValue: config.idempotency },
      { provide: RateLimitsConfig, useValue: config.rateLimits },
      { provide: JanitorConfig, useValue: config.janitor },
      { provide: WebhooksConfig, useValue: config.webhooks },
    ];
    return { module: AppConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
