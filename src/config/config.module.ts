import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { BillingConfig } from '../billing/billing.config';
import { BuildQueueConfig } from '../builds/build-queue.config';
import { IdempotencyConfig } from '../idempotency/idempotency.config';
import { RateLimitsConfig } from '../rate-limits/rate-limits.config';
import { SignatureConfig } from '../http/signature.config';
import { WorkspaceConfig } from '../workspace/workspace.config';

/** Makes each module's validated config injectable by its class (HTTP and database are used at boot). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: SignatureConfig, useValue: config.signature },
      { provide: WorkspaceConfig, useValue: config.workspace },
      { provide: BillingConfig, useValue: config.billing },
      { provide: BuildQueueConfig, useValue: config.buildQueue },
      { provide: IdempotencyConfig, useValue: config.idempotency },
      { provide: RateLimitsConfig, useValue: config.rateLimits },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
