import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BuildsModule } from '../builds/builds.module';
import { ProjectsModule } from '../projects/projects.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { CreatePreviewController } from './create-preview.controller';
import { CreatePreviewService } from './create-preview.service';

@Module({
  imports: [ProjectsModule, BuildsModule, BillingModule, WorkspaceModule],
  controllers: [CreatePreviewController],
  providers: [CreatePreviewService],
})
export class PreviewsModule {}
