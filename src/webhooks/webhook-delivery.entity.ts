import { Check, Column, Entity, ForeignKey, Generated, Index, PrimaryColumn, Unique } from 'typeorm';
import { WebhookEvent } from './webhook-event.entity';

/**
 * `pending`: due at `nextAttemptAt`; `delivered`: a 2xx answered; `failed`: every retry was spent;
 * `disabled`: its endpoint answered 410 (it or an earlier delivery).
 */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'disabled';

/**
 * A row of `webhook_deliveries` (owned by the webhooks module): one event to one endpoint, written
 * with its event. Deliveries to one endpoint go out in `seq` order per `orderingKey` (the event's
 * project, or its user when it has none). bigint columns arrive as strings.
 */
@Entity({ name: 'webhook_deliveries' })
@Check('webhook_deliveries_status_check', `status IN ('pending', 'delivered', 'failed', 'disabled')`)
@Check('webhook_deliveries_attempts_check', `attempts >= 0`)
@Unique('webhook_deliveries_event_endpoint_key', ['eventId', 'endpointUrl'])
@Index('webhook_deliveries_pending_idx', ['endpointUrl', 'orderingKey', 'seq'], {
  where: `status = 'pending'`,
})
@Index('webhook_deliveries_due_idx', ['nextAttemptAt'], { where: `status = 'pending'` })
export class WebhookDelivery {
  /** The `ulid` domain (text, checked). */
  @PrimaryColumn('text', { name: 'delivery_id' })
  deliveryId: string;

  /** The order deliveries were written in, by the database's sequence: it orders each key's deliveries. */
  @Column('bigint')
  @Generated('increment')
  seq: string;

  @Column('text', { name: 'event_id' })
  @ForeignKey(() => WebhookEvent, 'eventId', { name: 'webhook_deliveries_event_id_fkey', onDelete: 'CASCADE' })
  eventId: string;

  @Column('text', { name: 'endpoint_url' })
  endpointUrl: string;

  @Column('text', { name: 'ordering_key' })
  orderingKey: string;

  @Column('text', { default: 'pending' })
  status: WebhookDeliveryStatus;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column('timestamptz', { name: 'last_attempt_at', nullable: true })
  lastAttemptAt: Date | null;

  /** The last answer's HTTP status; null before one, or when the attempt got none. */
  @Column('integer', { name: 'last_status_code', nullable: true })
  lastStatusCode: number | null;

  /** Why the last attempt got no answer (a timeout, a refused connection), or null. */
  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;
}
