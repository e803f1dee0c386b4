import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '../webhook-event.entity';
import type { WebhookEventType } from '../webhook-event.entity';
import type { WebhookDeliveryStatus } from '../webhook-delivery.entity';
import { WebhookDeliveryAttemptResponse } from './webhook-delivery-attempt.response';
import { WEBHOOK_EVENT_BODIES } from './webhook-event.body';
import type { WebhookEventBody } from './webhook-event.body';

/** One event to one endpoint: where it stands, and every attempt so far. */
export class WebhookDeliveryResponse {
  @ApiProperty({ description: 'The delivery (ULID).', example: '01JDRZ9A7C3M5P8R2T4V6X8Z0B' })
  readonly deliveryId: string;

  @ApiProperty({
    description: 'The event (ULID): the `webhook-id` header of every attempt, so a receiver drops duplicates by it.',
    example: '01JDRZ9A7B2K4N6Q8S0U2W4Y6A',
  })
  readonly eventId: string;

  @ApiProperty({ description: 'What happened.', enum: WEBHOOK_EVENT_TYPES, example: 'build.succeeded' })
  readonly type: WebhookEventType;

  @ApiProperty({ description: 'Whose event.', format: 'uuid', example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69' })
  readonly userId: string;

  @ApiPropertyOptional({
    description: 'The project it is about; absent for a user’s event (`ai_time.low`).',
    format: 'uuid',
    example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
  })
  readonly projectId?: string;

  @ApiProperty({
    description: 'The endpoint (one of WEBHOOK_URL).',
    example: 'https://app.example.com/api/sheen-webhooks',
  })
  readonly endpointUrl: string;

  @ApiProperty({
    description:
      '`pending`: to be sent at `nextAttemptAt`; `delivered`: the endpoint answered 2xx; `failed`: every retry was ' +
      'spent; `disabled`: the endpoint answered 410 Gone and is sent nothing until a redelivery to it.',
    enum: ['pending', 'delivered', 'failed', 'disabled'],
    example: 'delivered',
  })
  readonly status: WebhookDeliveryStatus;

  @ApiProperty({ description: 'Attempts started so far (one may be under way).', type: 'integer', example: 2 })
  readonly attempts: number;

  @ApiProperty({
    description: 'When the event was recorded.',
    format: 'date-time',
    example: '2025-11-25T10:15:42.456Z',
  })
  readonly createdAt: string;

  @ApiPropertyOptional({
    description: 'When it is sent next; present only while `pending`.',
    format: 'date-time',
    example: '2025-11-25T10:15:47.456Z',
  })
  readonly nextAttemptAt?: string;

  @ApiPropertyOptional({
    description: 'When a 2xx answered it; present only once `delivered`.',
    format: 'date-time',
    example: '2025-11-25T10:15:47.543Z',
  })
  readonly deliveredAt?: string;

  @ApiProperty({
    description: 'The event as every attempt sends it (the JSON body), one of five kinds by `type`.',
    oneOf: WEBHOOK_EVENT_BODIES.map((body) => ({ $ref: getSchemaPath(body) })),
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(WEBHOOK_EVENT_BODIES.map((body) => [body.eventType, getSchemaPath(body)])),
    },
  })
  readonly event: WebhookEventBody;

  @ApiProperty({ description: 'Every attempt made, oldest first.', type: [WebhookDeliveryAttemptResponse] })
  readonly attemptsMade: WebhookDeliveryAttemptResponse[];
}
