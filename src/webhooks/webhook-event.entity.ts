import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const WEBHOOK_EVENT_TYPES = [
  'build.succeeded',
  'build.failed',
  'build.canceled',
  'project.deleted',
  'ai_time.low',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A row of `webhook_events`, the outbox (owned by the webhooks module): one event, written in the
 * transaction that records what it tells. `body` is the exact JSON every attempt sends, and
 * `eventId` its `webhook-id`.
 */
@Entity({ name: 'webhook_events' })
@Check(
  'webhook_events_type_check',
  `type IN ('build.succeeded', 'build.failed', 'build.canceled', 'project.deleted', 'ai_time.low')`,
)
// Rows arrive in time order, so BRIN serves the retention sweep at almost no cost to the insert.
@Index('webhook_events_created_at_idx', ['createdAt'], { type: 'brin' })
export class WebhookEvent {
  /** The `ulid` domain (text, checked). */
  @PrimaryColumn('text', { name: 'event_id' })
  eventId: string;

  @Column('text')
  type: WebhookEventType;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  /** The project the event is about; null for a user's event (`ai_time.low`). */
  @Column('uuid', { name: 'project_id', nullable: true })
  projectId: string | null;

  @Column('text')
  body: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
