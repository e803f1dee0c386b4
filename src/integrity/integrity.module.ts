import { Module } from '@nestjs/common';
import { BuildsModule } from '../builds/builds.module';
import { ProjectsModule } from '../projects/projects.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { IntegrityAuditService } from './integrity-audit.service';
import { Janitor } from './janitor.service';

/** The integrity audit (also run by `npm run audit:integrity`) and, in worker processes, the janitor. */
@Module({
  imports: [BuildsModule, ProjectsModule, WorkspaceModule],
  providers: [IntegrityAuditService, Janitor],
  exports: [IntegrityAuditService],
})
export class IntegrityModule {}
