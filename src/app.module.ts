import { DynamicModule, Module } from '@nestjs/common';
import { BillingModule } from './billing/billing.module';
import { BuildLogsModule } from './build-logs/build-logs.module';
import { BuildQueueModule } from './build-queue/build-queue.module';
import { BuildWorkerModule } from './build-worker/build-worker.module';
import { BuildsModule } from './builds/builds.module';
import { WorkerConfig } from './build-worker/worker.config';
import { AppConfig } from './app-config';
import { AppConfigModule } from './app-config.module';
import { DatabaseConnection } from './database/database-connection';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HttpModule } from './http/http.module';
import { IntegrityModule } from './integrity/integrity.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { PreviewFilesModule } from './preview-files/preview-files.module';
import { ProjectRequestsModule } from './project-requests/project-requests.module';
import { ProjectsModule } from './projects/projects.module';
import { ShutdownModule } from './shutdown/shutdown.module';
import { VersionsModule } from './versions/versions.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorkspaceModule } from './workspace/workspace.module';
import { WebhookDeliveriesModule } from './webhooks/webhook-deliveries.module';

@Module({})
export class AppModule {
  /**
   * `databaseUrl` is DATABASE_URL or the embedded server's, resolved before the app is built;
   * `roles` says whether this process serves HTTP, runs the build worker, or both.
   */
  static forRoot(config: AppConfig, databaseUrl: string, roles: WorkerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config, roles),
        LoggingModule.forRoot(config.logging),
        DatabaseModule.forRoot(new DatabaseConnection(databaseUrl)),
        HttpModule,
        MetricsModule,
        ShutdownModule,
        HealthModule,
        ProjectsModule,
        BuildsModule,
        BuildLogsModule,
        BuildQueueModule,
        BuildWorkerModule,
        VersionsModule,
        BillingModule,
        WorkspaceModule,
        ProjectRequestsModule,
        PreviewFilesModule,
        WebhookDeliveriesModule,
        IntegrityModule,
        WebhooksModule,
      ],
    };
  }
}
