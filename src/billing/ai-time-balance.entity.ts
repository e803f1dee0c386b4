import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A row of `ai_time_balances`: one per user, created with the welcome seconds. */
@Entity({ name: 'ai_time_balances' })
export class AiTimeBalance {
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  @Column('integer', { name: 'seconds_remaining' })
  secondsRemaining: number;

  @Column('integer', { name: 'seconds_used', default: 0 })
  secondsUsed: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
