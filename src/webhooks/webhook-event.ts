import type { AiTimeLowEventData } from './dto/ai-time-low-event.data';
import type { BuildCanceledEventData } from './dto/build-canceled-event.data';
import type { BuildFailedEventData } from './dto/build-failed-event.data';
import type { BuildSucceededEventData } from './dto/build-succeeded-event.data';
import type { ProjectDeletedEventData } from './dto/project-deleted-event.data';

/** An event to record, with its `data` as the receiver gets it. */
export type WebhookEventInput =
  | { type: 'build.succeeded'; data: BuildSucceededEventData }
  | { type: 'build.failed'; data: BuildFailedEventData }
  | { type: 'build.canceled'; data: BuildCanceledEventData }
  | { type: 'project.deleted'; data: ProjectDeletedEventData }
  | { type: 'ai_time.low'; data: AiTimeLowEventData };

/** The channel a recorded event notifies on commit, so a dispatcher wakes at once. */
export const WEBHOOK_DELIVERY_CHANNEL = 'webhook_delivery';
