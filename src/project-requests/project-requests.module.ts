import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BuildQueueModule } from '../build-queue/build-queue.module';
import { BuildWorkerModule } from '../build-worker/build-worker.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { CreatePreviewController } from './create-preview.controller';
import { CreatePreviewService } from './create-preview.service';
import { DeleteProjectController } from './delete-project.controller';
import { DeleteProjectService } from './delete-project.service';
import { SetCurrentVersionController } from './set-current-version.controller';
import { SetCurrentVersionService } from './set-current-version.service';
import { UpdateProjectController } from './update-project.controller';
import { UpdateProjectService } from './update-project.service';

/** The orchestrations over several modules: create, update, roll back and delete a project, each in one transaction. */
@Module({
  imports: [
    IdempotencyModule,
    RateLimitsModule,
    ProjectsModule,
    VersionsModule,
    BuildQueueModule,
    BuildWorkerModule,
    BillingModule,
    WorkspaceModule,
    WebhooksModule,
  ],
  controllers: [CreatePreviewController, UpdateProjectController, DeleteProjectController, SetCurrentVersionController],
  providers: [CreatePreviewService, UpdateProjectService, DeleteProjectService, SetCurrentVersionService],
})
export class ProjectRequestsModule {}
