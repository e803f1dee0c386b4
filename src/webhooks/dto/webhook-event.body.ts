import { ApiProperty } from '@nestjs/swagger';
import type { WebhookEventType } from '../webhook-event.entity';
import { AiTimeLowEventData } from './ai-time-low-event.data';
import { BuildCanceledEventData } from './build-canceled-event.data';
import { BuildFailedEventData } from './build-failed-event.data';
import { BuildSucceededEventData } from './build-succeeded-event.data';
import { ProjectDeletedEventData } from './project-deleted-event.data';

/**
 * The JSON body POSTed to each WEBHOOK_URL (Standard Webhooks: `type`, `timestamp`, `data`), one
 * class per event type so the OpenAPI document describes each and the typed client's
 * `verifyWebhook` answers a union it can switch on.
 */
function webhookEventBody<Type extends WebhookEventType, Data>(type: Type, data: new () => Data, when: string) {
  class WebhookEventBody {
    static readonly eventType = type;

    @ApiProperty({ description: `The event: ${when}.`, enum: [type], example: type })
    readonly type: Type;

    @ApiProperty({
      description: 'When the event happened (ISO 8601, UTC); the same on every attempt.',
      format: 'date-time',
      example: '2025-11-25T10:15:42.456Z',
    })
    readonly timestamp: string;

    @ApiProperty({ type: data })
    readonly data: Data;
  }
  return WebhookEventBody;
}

export class BuildSucceededEvent extends webhookEventBody(
  'build.succeeded',
  BuildSucceededEventData,
  'a build succeeded and its version is current',
) {}

export class BuildFailedEvent extends webhookEventBody(
  'build.failed',
  BuildFailedEventData,
  'a build failed after its last attempt',
) {}

export class BuildCanceledEvent extends webhookEventBody(
  'build.canceled',
  BuildCanceledEventData,
  'a build was canceled by its owner',
) {}

export class ProjectDeletedEvent extends webhookEventBody(
  'project.deleted',
  ProjectDeletedEventData,
  'a project was deleted',
) {}

export class AiTimeLowEvent extends webhookEventBody(
  'ai_time.low',
  AiTimeLowEventData,
  "a build's debit took the user's AI-time balance below AI_TIME_LOW_SECONDS",
) {}

export const WEBHOOK_EVENT_BODIES = [
  BuildSucceededEvent,
  BuildFailedEvent,
  BuildCanceledEvent,
  ProjectDeletedEvent,
  AiTimeLowEvent,
] as const;

/** Any event's body: switch on `type` to narrow `data`. */
export type WebhookEventBody = InstanceType<(typeof WEBHOOK_EVENT_BODIES)[number]>;
