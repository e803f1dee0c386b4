import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { AiTimeBalance } from './ai-time-balance.entity';

export type AiTimeLedgerKind = 'welcome' | 'grant' | 'debit';

/** A row of `ai_time_ledger`: one signed change of a user's balance; a build is debited once. */
@Entity({ name: 'ai_time_ledger' })
@Check('ai_time_ledger_kind_check', `kind IN ('welcome', 'grant', 'debit')`)
@Check('ai_time_ledger_check', `(kind = 'debit') = (build_id IS NOT NULL)`)
@Check(
  'ai_time_ledger_check1',
  `CASE kind WHEN 'debit' THEN seconds <= 0 WHEN 'grant' THEN seconds > 0 ELSE seconds >= 0 END`,
)
@Index('ai_time_ledger_user_idx', ['userId', 'id'])
export class AiTimeLedgerEntry {
  /** bigint arrives as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid', { name: 'user_id' })
  @ForeignKey(() => AiTimeBalance, { name: 'ai_time_ledger_user_id_fkey' })
  userId: string;

  @Column('text')
  kind: AiTimeLedgerKind;

  @Column('integer')
  seconds: number;

  /** Unique: the debit of a build is written once, whoever retries. Not a foreign key: it outlives the build. */
  @Column('text', { name: 'build_id', nullable: true, unique: true })
  buildId: string | null;

  @Column('text')
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
