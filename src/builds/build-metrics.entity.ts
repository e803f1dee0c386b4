import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Framework } from '../projects/framework';

export type BuildStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A row of `project_build_metrics`: one build of a project, owned by the builds module. */
@Entity({ name: 'project_build_metrics' })
export class BuildMetrics {
  @PrimaryGeneratedColumn()
  id: number;

  @Column('text', { name: 'build_id', unique: true })
  buildId: string;

  /** Chosen when the build is queued; the version row exists only once the build succeeded. */
  @Column('text', { name: 'version_id', unique: true })
  versionId: string;

  @Column('uuid', { name: 'project_id' })
  projectId: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('boolean', { name: 'is_initial_build' })
  isInitialBuild: boolean;

  @Column('text', { default: 'queued' })
  status: BuildStatus;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  /** When the attempt in progress started; null between attempts and once finished. */
  @Column('timestamptz', { name: 'attempt_started_at', nullable: true })
  attemptStartedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  @Column('integer', { name: 'duration_ms', nullable: true })
  durationMs: number | null;

  @Column('text')
  framework: Framework;

  @Column('text')
  prompt: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
