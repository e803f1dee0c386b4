import { Module } from '@nestjs/common';
import { VersionsModule } from '../versions/versions.module';
import { WorkspaceModule } from '../workspace/workspace.module';
import { PreviewFilesController } from './preview-files.controller';
import { PreviewFilesService } from './preview-files.service';

/** Serves built previews read-only; owns no table (the versions module says where files are). */
@Module({
  imports: [VersionsModule, WorkspaceModule],
  controllers: [PreviewFilesController],
  providers: [PreviewFilesService],
})
export class PreviewFilesModule {}
