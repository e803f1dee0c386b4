/**
 * The service's request and response types, taken from the very DTOs the server validates requests
 * and shapes answers with, so the client cannot drift from them. Type-only: nothing of the server
 * is loaded at run time (the compiled client requires none of these files).
 */

export type { AiTimeBalanceResponse } from '../billing/dto/ai-time-balance.response';
export type { GrantAiTimeRequest } from '../billing/dto/grant-ai-time.request';
export type { BuildLogLineResponse } from '../build-logs/dto/build-log-line.response';
export type { BuildLogStream } from '../build-logs/build-log-line.entity';
export type { BuildStatus } from '../builds/build-metrics.entity';
export type { BuildLogPageResponse } from '../builds/dto/build-log-page.response';
export type { BuildLogsQuery } from '../builds/dto/build-logs.query';
export type { BuildResponse } from '../builds/dto/build.response';
export type { CancelBuildRequest } from '../build-worker/dto/cancel-build.request';
export type { ErrorCode } from '../errors/domain-error';
export type { ProblemDetailsDto } from '../api-fields/problem-details.dto';
export type { CreatePreviewRequest } from '../project-requests/dto/create-preview.request';
export type { CreatePreviewResponse } from '../project-requests/dto/create-preview.response';
export type { SetCurrentVersionRequest } from '../project-requests/dto/set-current-version.request';
export type { UpdateProjectRequest } from '../project-requests/dto/update-project.request';
export type { UpdateProjectResponse } from '../project-requests/dto/update-project.response';
export type { ListProjectsQuery } from '../projects/dto/list-projects.query';
export type { OwnerQuery } from '../projects/dto/owner.query';
export type { ProjectListResponse } from '../projects/dto/project-list.response';
export type { ProjectResponse } from '../projects/dto/project.response';
export type { Framework } from '../projects/framework';
export type { VersionListResponse } from '../versions/dto/version-list.response';
export type {
  AiTimeLowEvent,
  BuildCanceledEvent,
  BuildFailedEvent,
  BuildSucceededEvent,
  ProjectDeletedEvent,
  WebhookEventBody,
} from '../webhooks/dto/webhook-event.body';
export type { ListWebhookDeliveriesQuery } from '../webhooks/dto/list-webhook-deliveries.query';
export type { WebhookDeliveryAttemptResponse } from '../webhooks/dto/webhook-delivery-attempt.response';
export type { WebhookDeliveryListResponse } from '../webhooks/dto/webhook-delivery-list.response';
export type { WebhookDeliveryResponse } from '../webhooks/dto/webhook-delivery.response';
export type { WebhookDeliveryStatus } from '../webhooks/webhook-delivery.entity';
export type { WebhookEventType } from '../webhooks/webhook-event.entity';
