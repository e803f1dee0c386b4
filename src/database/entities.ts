import { AiTimeBalance } from '../billing/ai-time-balance.entity';
import { AiTimeLedgerEntry } from '../billing/ai-time-ledger-entry.entity';
import { AiTimeSession } from '../billing/ai-time-session.entity';
import { BuildLogLine } from '../build-logs/build-log-line.entity';
import { BuildLog } from '../build-logs/build-log.entity';
import { BuildMetrics } from '../builds/build-metrics.entity';
import { SpentSignature } from '../http/spent-signature.entity';
import { IdempotencyKey } from '../idempotency/idempotency-key.entity';
import { RecentCreate } from '../idempotency/recent-create.entity';
import { Project } from '../projects/project.entity';
import { RateLimit } from '../rate-limits/rate-limit.entity';
import { ProjectVersion } from '../versions/project-version.entity';
import { WebhookDeliveryAttempt } from '../webhooks/webhook-delivery-attempt.entity';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity';
import { WebhookEvent } from '../webhooks/webhook-event.entity';

/**
 * The entity of every table the service owns (pg-boss's schema aside): the one description of each
 * table, which test/integration/entity-schema.integration-spec.ts holds equal to the migrated
 * schema. Listed, like MIGRATIONS, so every data source (the service, the CLIs, the tests) knows
 * the same set; each module still registers its own with `TypeOrmModule.forFeature`.
 */
export const ENTITIES = [
  Project,
  BuildMetrics,
  BuildLog,
  BuildLogLine,
  ProjectVersion,
  AiTimeBalance,
  AiTimeSession,
  AiTimeLedgerEntry,
  IdempotencyKey,
  RecentCreate,
  RateLimit,
  SpentSignature,
  WebhookEvent,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WebhookEndpoint,
];
