import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A row of `ai_time_balances`: one per user, created with the welcome seconds. */
@Entity({ name: 'ai_time_balances' })
@Check('ai_time_balances_seconds_used_check', `seconds_used >= 0`)
export class AiTimeBalance {
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  /** Below zero only by what a build used beyond its reservation (ADR 028). */
  @Column('integer', { name: 'seconds_remaining' })
  secondsRemaining: number;

  @Column('integer', { name: 'seconds_used', default: 0 })
  secondsUsed: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
