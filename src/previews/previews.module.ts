import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BuildsModule } from '../builds/builds.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { ProjectsModule } from '../projects/projects.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { CreatePreviewController } from './create-preview.controller';
import { CreatePreviewService } from './create-preview.service';

@Module({
  imports: [IdempotencyModule, RateLimitsModule, ProjectsModule, BuildsModule, BillingModule, WorkspaceModule],
  controllers: [CreatePreviewController],
  providers: [CreatePreviewService],
})
export class PreviewsModule {}
