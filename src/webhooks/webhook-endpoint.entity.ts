import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A row of `webhook_endpoints` (owned by the webhooks module): a configured endpoint that answered
 * 410 Gone and is sent nothing more until a redelivery to it turns it back on.
 */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryColumn('text')
  url: string;

  @Column('timestamptz', { name: 'disabled_at', default: () => 'now()' })
  disabledAt: Date;

  @Column('text', { name: 'disabled_reason' })
  disabledReason: string;
}
