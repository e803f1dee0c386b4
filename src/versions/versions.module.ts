import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProjectsModule } from '../projects/projects.module';
import { ProjectVersion } from './project-version.entity';
import { VersionReadsController } from './version-reads.controller';
import { VersionReadsService } from './version-reads.service';
import { VersionsService } from './versions.service';

/** Owns `project_versions`. Versions are written by the build worker once a build succeeds. */
@Module({
  imports: [TypeOrmModule.forFeature([ProjectVersion]), ProjectsModule],
  controllers: [VersionReadsController],
  providers: [VersionsService, VersionReadsService],
  exports: [VersionsService],
})
export class VersionsModule {}
