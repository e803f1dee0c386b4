import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A row of `idempotency_keys`: an owner's Idempotency-Key, the fingerprint of the request it was
 * first used with, and that request's answer. Owned by the idempotency module.
 */
@Entity({ name: 'idempotency_keys' })
@Check('idempotency_keys_key_check', `key ~ '^[\\x20-\\x7E]{1,255}$'`)
// Rows arrive in time order, so BRIN serves the sweep at almost no cost to the insert.
@Index('idempotency_keys_created_idx', ['createdAt'], { type: 'brin' })
export class IdempotencyKey {
  @PrimaryColumn('uuid', { name: 'owner_id' })
  ownerId: string;

  @PrimaryColumn('text')
  key: string;

  @Column('text', { name: 'request_hash' })
  requestHash: string;

  /** Null while the first request under the key has not answered yet. */
  @Column('integer', { nullable: true })
  status: number | null;

  /** `json`, not `jsonb`, so a replay answers with the first answer's bytes (VerbatimReplayBodies). */
  @Column('json', { nullable: true })
  body: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
