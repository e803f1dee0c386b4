import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A row of `recent_creates`: a user's last create per request fingerprint and the answer it got,
 * kept for the dedupe window. Owned by the idempotency module.
 */
@Entity({ name: 'recent_creates' })
@Check('recent_creates_request_hash_check', `request_hash ~ '^[0-9a-f]{64}$'`)
// Rows arrive in time order, so BRIN serves the sweep at almost no cost to the insert.
@Index('recent_creates_created_idx', ['createdAt'], { type: 'brin' })
export class RecentCreate {
  @PrimaryColumn('uuid', { name: 'owner_id' })
  ownerId: string;

  @PrimaryColumn('text', { name: 'request_hash' })
  requestHash: string;

  @Column('json')
  body: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
