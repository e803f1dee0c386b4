import { Module } from '@nestjs/common';
import { BuildLogsModule } from '../build-logs/build-logs.module';
import { BuildWorkerModule } from '../build-worker/build-worker.module';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { IntegrityAuditService } from './integrity-audit.service';
import { JanitorService } from './janitor.service';
import { RetentionService } from './retention.service';

/**
 * The integrity audit (also run by `npm run audit:integrity`) and, in worker processes, the janitor
 * with its retention.
 * The audit is the one reader of every module's tables (ADR 032): its checks join rows across
 * modules in SQL, read-only, so it registers no entity of its own; every repair goes through the
 * module that owns the table.
 */
@Module({
  imports: [BuildWorkerModule, BuildLogsModule, ProjectsModule, VersionsModule, WebhooksModule, WorkspaceModule],
  providers: [IntegrityAuditService, JanitorService, RetentionService],
  exports: [IntegrityAuditService],
})
export class IntegrityModule {}
