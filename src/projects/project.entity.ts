import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { BuildMetrics } from '../builds/build-metrics.entity';
import { ProjectVersion } from '../versions/project-version.entity';
import type { Framework } from './framework';

export type IdSource = 'server' | 'client';

export const DEFAULT_PROJECT_NAME = 'Untitled Project';
export type ProjectBuildStatus = 'queued' | 'building' | 'ready' | 'failed';

/** The service every project names as its creator (`createdBy`). */
export const CREATED_BY_SERVICE = 'worker-service';

/** A row of `projects`, owned by the projects module. */
@Entity({ name: 'projects' })
@Check('projects_name_check', `char_length(name) BETWEEN 1 AND 120`)
@Check('projects_id_source_check', `id_source IN ('server', 'client')`)
@Check('projects_build_status_check', `build_status IN ('queued', 'building', 'ready', 'failed')`)
// The owner's keyset pages, newest first: (owner_id, created_at DESC, id DESC).
@Index('projects_owner_newest_idx', ['ownerId', 'createdAt', 'id'])
export class Project {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'owner_id' })
  ownerId: string;

  @Column('text')
  name: string;

  /** The `framework` domain (text, checked). */
  @Column('text')
  framework: Framework;

  @Column('text', { name: 'created_by_service', default: CREATED_BY_SERVICE })
  createdByService: string;

  @Column('text', { name: 'id_source' })
  idSource: IdSource;

  @Column('text', { name: 'build_status', default: 'queued' })
  buildStatus: ProjectBuildStatus;

  @Column('text', { name: 'current_build_id', nullable: true })
  @ForeignKey(() => BuildMetrics, 'buildId', { name: 'projects_current_build_fk', onDelete: 'SET NULL' })
  currentBuildId: string | null;

  @Column('text', { name: 'current_version_id', nullable: true })
  @ForeignKey(() => ProjectVersion, 'versionId', { name: 'projects_current_version_fk', onDelete: 'SET NULL' })
  currentVersionId: string | null;

  @Column('timestamptz', { name: 'last_build_started', nullable: true })
  lastBuildStarted: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
