import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BuildMetrics } from '../builds/build-metrics.entity';
import type { Framework } from '../projects/framework';
import { Project } from '../projects/project.entity';

/** A row of `project_versions`: exists only for a build that succeeded. Owned by the versions module. */
@Entity({ name: 'project_versions' })
// A project's versions, newest first: (project_id, version_id DESC).
@Index('project_versions_project_idx', ['projectId', 'versionId'])
// The janitor's search for versions beyond the newest VERSIONS_KEPT (ADR 039).
@Index('project_versions_unexpired_idx', ['projectId', 'versionId'], { where: 'expired_at IS NULL' })
export class ProjectVersion {
  @PrimaryGeneratedColumn()
  id: number;

  @Column('text', { name: 'version_id', unique: true })
  versionId: string;

  @Column('text', { name: 'build_id', unique: true })
  @ForeignKey(() => BuildMetrics, 'buildId', { name: 'project_versions_build_id_fkey', onDelete: 'CASCADE' })
  buildId: string;

  @Column('uuid', { name: 'project_id' })
  @ForeignKey(() => Project, { name: 'project_versions_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('text')
  prompt: string;

  @Column('text')
  framework: Framework;

  /** The build's output folder, relative to the project's directory. */
  @Column('text', { name: 'artifact_path' })
  artifactPath: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When the janitor removed its files (retention, ADR 039); null while they are served. */
  @Column('timestamptz', { name: 'expired_at', nullable: true })
  expiredAt: Date | null;
}
