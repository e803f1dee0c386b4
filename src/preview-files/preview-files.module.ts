import { Module } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module';
import { VersionsModule } from '../versions/versions.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { PreviewFilesController } from './preview-files.controller';
import { PreviewFilesService } from './preview-files.service';

/** Serves built previews read-only; owns no table (projects say which version is current, versions where its files are). */
@Module({
  imports: [ProjectsModule, VersionsModule, WorkspaceModule],
  controllers: [PreviewFilesController],
  providers: [PreviewFilesService],
})
export class PreviewFilesModule {}
