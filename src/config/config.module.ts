import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { HttpConfig } from './http.config';
import { BillingConfig } from '../billing/billing.config';
import { BuildQueueConfig } from '../builds/build-queue.config';
import { DatabaseConfig } from '../database/database.config';
import { WorkspaceConfig } from '../workspace/workspace.config';

/** Makes each concern's validated config injectable by its class. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: HttpConfig, useValue: config.http },
      { provide: DatabaseConfig, useValue: config.database },
      { provide: WorkspaceConfig, useValue: config.workspace },
      { provide: BillingConfig, useValue: config.billing },
      { provide: BuildQueueConfig, useValue: config.buildQueue },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
