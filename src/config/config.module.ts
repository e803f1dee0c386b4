import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { BillingConfig } from '../billing/billing.config';
import { BuildQueueConfig } from '../builds/build-queue.config';
import { WorkspaceConfig } from '../workspace/workspace.config';

/** Makes each module's validated config injectable by its class (HTTP and database are used at boot). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: WorkspaceConfig, useValue: config.workspace },
      { provide: BillingConfig, useValue: config.billing },
      { provide: BuildQueueConfig, useValue: config.buildQueue },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
