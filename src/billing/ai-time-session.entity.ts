import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { BuildMetrics } from '../builds/build-metrics.entity';
import { Project } from '../projects/project.entity';
import { AiTimeBalance } from './ai-time-balance.entity';

export type AiTimeSessionStatus = 'active' | 'closed';

/** A row of `ai_time_sessions`: the AI time of one build, opened when it is queued, closed once. */
@Entity({ name: 'ai_time_sessions' })
@Check('ai_time_sessions_status_check', `status IN ('active', 'closed')`)
@Check('ai_time_sessions_seconds_used_check', `seconds_used >= 0`)
@Check('ai_time_sessions_seconds_reserved_check', `seconds_reserved > 0`)
@Check('ai_time_sessions_check', `(status = 'closed') = (closed_at IS NOT NULL)`)
@Index('ai_time_sessions_active_idx', ['openedAt'], { where: `status = 'active'` })
@Index('ai_time_sessions_project_idx', ['projectId'])
// A user's open reservations, summed by every create and update (ADR 028).
@Index('ai_time_sessions_active_user_idx', ['userId'], { where: `status = 'active'` })
export class AiTimeSession {
  @PrimaryColumn('text')
  id: string;

  @Column('uuid', { name: 'user_id' })
  @ForeignKey(() => AiTimeBalance, { name: 'ai_time_sessions_user_id_fkey' })
  userId: string;

  @Column('uuid', { name: 'project_id' })
  @ForeignKey(() => Project, { name: 'ai_time_sessions_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column('text', { name: 'build_id', unique: true })
  @ForeignKey(() => BuildMetrics, 'buildId', { name: 'ai_time_sessions_build_id_fkey', onDelete: 'CASCADE' })
  buildId: string;

  @Column('text', { default: 'active' })
  status: AiTimeSessionStatus;

  /** The seconds the build holds back from the balance until its session closes (ADR 028). */
  @Column('integer', { name: 'seconds_reserved', default: 1 })
  secondsReserved: number;

  @Column('integer', { name: 'seconds_used', nullable: true })
  secondsUsed: number | null;

  @Column('timestamptz', { name: 'opened_at', default: () => 'now()' })
  openedAt: Date;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;
}
