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
// Unique among debits: a build is debited once, whoever retries; rows without a build are left out.
@Index('ai_time_ledger_build_id_key', ['buildId'], { unique: true, where: 'build_id IS NOT NULL' })
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

  /** Not a foreign key: it outlives the build. */
  @Column('text', { name: 'build_id', nullable: true })
  buildId: string | null;

  @Column('text')
  reason: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
