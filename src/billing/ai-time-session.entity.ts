import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AiTimeSessionStatus = 'active' | 'closed';

/** A row of `ai_time_sessions`: the AI time of one build, opened when it is queued, closed once. */
@Entity({ name: 'ai_time_sessions' })
export class AiTimeSession {
  @PrimaryColumn('text')
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('uuid', { name: 'project_id' })
  projectId: string;

  @Column('text', { name: 'build_id', unique: true })
  buildId: string;

  @Column('text', { default: 'active' })
  status: AiTimeSessionStatus;

  @Column('integer', { name: 'seconds_used', nullable: true })
  secondsUsed: number | null;

  @Column('timestamptz', { name: 'opened_at', default: () => 'now()' })
  openedAt: Date;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;
}
