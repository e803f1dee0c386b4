import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A row of `spent_signatures`: a signed write's MAC, spent once, remembered until its timestamp can
 * no longer verify. Owned by the http module (SpentSignaturesService).
 */
@Entity({ name: 'spent_signatures' })
@Check('spent_signatures_signature_check', `octet_length(signature) = 32`)
@Check('spent_signatures_idempotency_key_check', `idempotency_key ~ '^[\\x20-\\x7E]{1,255}$'`)
@Check('spent_signatures_uses_check', `uses > 0`)
// Rows arrive in timestamp order, so BRIN serves the sweep at almost no cost to the insert.
@Index('spent_signatures_expires_at_idx', ['expiresAt'], { type: 'brin' })
export class SpentSignature {
  @PrimaryColumn('bytea')
  signature: Buffer;

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column('integer', { default: 1 })
  uses: number;

  @Column('timestamptz', { name: 'spent_at', default: () => 'now()' })
  spentAt: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;
}
