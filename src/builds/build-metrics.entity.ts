import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Framework } from '../projects/framework';
import { Project } from '../projects/project.entity';

export type BuildStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

/** A row of `project_build_metrics`: one build of a project, owned by the builds module. */
@Entity({ name: 'project_build_metrics' })
@Check('project_build_metrics_status_check', `status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')`)
@Check('project_build_metrics_attempts_check', `attempts >= 0`)
@Check('project_build_metrics_duration_ms_check', `duration_ms >= 0`)
@Check('project_build_metrics_prompt_check', `char_length(prompt) BETWEEN 1 AND 20000`)
@Check('project_build_metrics_check', `(status IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL)`)
@Check('project_build_metrics_attempt_running_check', `attempt_started_at IS NULL OR status = 'running'`)
// A project's builds, newest first: (project_id, build_id DESC).
@Index('project_build_metrics_project_idx', ['projectId', 'buildId'])
// At most one build queued or running per project (update-project's 409 build_in_progress).
@Index('project_build_metrics_one_active_idx', ['projectId'], {
  unique: true,
  where: `status IN ('queued', 'running')`,
})
export class BuildMetrics {
  @PrimaryGeneratedColumn()
  id: number;

  /** The `ulid` domain (text, checked), as every build, version and session id. */
  @Column('text', { name: 'build_id', unique: true })
  buildId: string;

  /** Chosen when the build is queued; the version row exists only once the build succeeded. */
  @Column('text', { name: 'version_id', unique: true })
  versionId: string;

  @Column('uuid', { name: 'project_id' })
  @ForeignKey(() => Project, { name: 'project_build_metrics_project_id_fkey', onDelete: 'CASCADE' })
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
