import { Module } from '@nestjs/common';
import { BuildOutputsService } from './build-outputs.service';
import { ProjectDirectoriesService } from './project-directories.service';
import { WorkspaceScanService } from './workspace-scan.service';

/** The tree under PROJECTS_ROOT: project directories, build outputs, and the audit's scan of both. */
@Module({
  providers: [ProjectDirectoriesService, BuildOutputsService, WorkspaceScanService],
  exports: [ProjectDirectoriesService, BuildOutputsService, WorkspaceScanService],
})
export class WorkspaceModule {}
