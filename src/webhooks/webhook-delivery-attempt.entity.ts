import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { WebhookDelivery } from './webhook-delivery.entity';

/** A row of `webhook_delivery_attempts` (owned by the webhooks module): one attempt and its answer. */
@Entity({ name: 'webhook_delivery_attempts' })
@Check('webhook_delivery_attempts_attempt_check', `attempt > 0`)
@Check('webhook_delivery_attempts_duration_ms_check', `duration_ms >= 0`)
export class WebhookDeliveryAttempt {
  @PrimaryColumn('text', { name: 'delivery_id' })
  @ForeignKey(() => WebhookDelivery, 'deliveryId', {
    name: 'webhook_delivery_attempts_delivery_id_fkey',
    onDelete: 'CASCADE',
  })
  deliveryId: string;

  @PrimaryColumn('integer')
  attempt: number;

  @Column('timestamptz', { name: 'attempted_at' })
  attemptedAt: Date;

  @Column('integer', { name: 'duration_ms' })
  durationMs: number;

  /** The answer's HTTP status; null when the attempt got none. */
  @Column('integer', { name: 'status_code', nullable: true })
  statusCode: number | null;

  /** Why the attempt got no answer, or null. */
  @Column('text', { nullable: true })
  error: string | null;
}
