import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AiTimeLedgerKind = 'welcome' | 'grant' | 'debit';

/** A row of `ai_time_ledger`: one signed change of a user's balance; a build is debited once. */
@Entity({ name: 'ai_time_ledger' })
export class AiTimeLedgerEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('text')
  kind: AiTimeLedgerKind;

  @Column('integer')
  seconds: number;

  @Column('text', { name: 'build_id', nullable: true, unique: true })
  buildId: string | null;

  @Column('text')
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
