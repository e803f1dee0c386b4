import { Module } from '@nestjs/common';
import { BuildWorkerModule } from '../build-worker/build-worker.module';
import { ProjectsModule } from '../projects/projects.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { IntegrityAuditService } from './integrity-audit.service';
import { JanitorService } from './janitor.service';

/**
 * The integrity audit (also run by `npm run audit:integrity`) and, in worker processes, the janitor.
 * The audit is the one reader of every module's tables (ADR 032): its checks join rows across
 * modules in SQL, read-only, so it registers no entity of its own; every repair goes through the
 * module that owns the table.
 */
@Module({
  imports: [BuildWorkerModule, ProjectsModule, WorkspaceModule],
  providers: [IntegrityAuditService, JanitorService],
  exports: [IntegrityAuditService],
})
export class IntegrityModule {}
