import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProjectVersion } from './project-version.entity';
import { VersionsService } from './versions.service';

/** Owns `project_versions`. Versions are written by the build worker once a build succeeds. */
@Module({
  imports: [TypeOrmModule.forFeature([ProjectVersion])],
  providers: [VersionsService],
  exports: [VersionsService],
})
export class VersionsModule {}
