import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Framework } from './framework';

export type IdSource = 'server' | 'client';

export const DEFAULT_PROJECT_NAME = 'Untitled Project';
export type ProjectBuildStatus = 'queued' | 'building' | 'ready' | 'failed';

/** The service every project names as its creator (`createdBy`). */
export const CREATED_BY_SERVICE = 'worker-service';

/** A row of `projects`, owned by the projects module. */
@Entity({ name: 'projects' })
export class Project {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'owner_id' })
  ownerId: string;

  @Column('text')
  name: string;

  @Column('text')
  framework: Framework;

  @Column('text', { name: 'created_by_service', default: CREATED_BY_SERVICE })
  createdByService: string;

  @Column('text', { name: 'id_source' })
  idSource: IdSource;

  @Column('text', { name: 'build_status', default: 'queued' })
  buildStatus: ProjectBuildStatus;

  @Column('text', { name: 'current_build_id', nullable: true })
  currentBuildId: string | null;

  @Column('text', { name: 'current_version_id', nullable: true })
  currentVersionId: string | null;

  @Column('timestamptz', { name: 'last_build_started', nullable: true })
  lastBuildStarted: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
