import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A row of `rate_limits`, in the layout rate-limiter-flexible's PostgreSQL store uses: one
 * one-minute window of a user's creates and updates. Owned by the rate-limits module.
 */
@Entity({ name: 'rate_limits' })
export class RateLimit {
  /** `<keyPrefix>:<userId>`. */
  @PrimaryColumn('varchar', { length: 255 })
  key: string;

  /** The requests counted in the window. */
  @Column('integer', { default: 0 })
  points: number;

  /** The window's end, epoch milliseconds; bigint arrives as a string. */
  @Column('bigint', { nullable: true })
  expire: string | null;
}
