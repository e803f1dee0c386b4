import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Project } from './project.entity';
import { ProjectReadsController } from './project-reads.controller';
import { ProjectReadsService } from './project-reads.service';
import { ProjectsService } from './projects.service';

@Module({
  imports: [TypeOrmModule.forFeature([Project])],
  controllers: [ProjectReadsController],
  providers: [ProjectsService, ProjectReadsService],
  exports: [ProjectsService, ProjectReadsService],
})
export class ProjectsModule {}
