import { BillingConfig } from './billing/billing.config';
import { BuildLogsConfig } from './build-logs/build-logs.config';
import { BuildQueueConfig } from './build-queue/build-queue.config';
import { BuildersConfig } from './build-worker/builders/builders.config';
import { DatabaseConfig } from './database/database.config';
import { IdempotencyConfig } from './idempotency/idempotency.config';
import { JanitorConfig } from './integrity/janitor.config';
import { LoggingConfig } from './logging/logging.config';
import { PreviewFilesConfig } from './preview-files/preview-files.config';
import { RateLimitsConfig } from './rate-limits/rate-limits.config';
import { ShutdownConfig } from './shutdown/shutdown.config';
import { WebhooksConfig } from './webhooks/webhooks.config';
import { WorkspaceConfig } from './workspace/workspace.config';
import { Environment, InvalidConfigError } from './config/config-from-env';
import { HttpConfig } from './http/http.config';
import { SignatureConfig } from './http/signature.config';

/** Every concern's settings, each validated by the module that uses them. */
export interface AppConfig {
  readonly http: HttpConfig;
  readonly signature: SignatureConfig;
  readonly database: DatabaseConfig;
  readonly workspace: WorkspaceConfig;
  readonly previewFiles: PreviewFilesConfig;
  readonly billing: BillingConfig;
  readonly buildQueue: BuildQueueConfig;
  readonly builders: BuildersConfig;
  readonly buildLogs: BuildLogsConfig;
  readonly idempotency: IdempotencyConfig;
  readonly rateLimits: RateLimitsConfig;
  readonly shutdown: ShutdownConfig;
  readonly logging: LoggingConfig;
  readonly janitor: JanitorConfig;
  readonly webhooks: WebhooksConfig;
}

/** Reads and validates the whole environment, reporting every bad variable at once. */
export function loadAppConfig(env: Environment): AppConfig {
  const problems: string[] = [];
  const read = <T>(load: () => T): T => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error;
      problems.push(...error.problems);
      return undefined as T;
    }
  };
  const buildQueue = read(() => BuildQueueConfig.fromEnv(env));
  const config: AppConfig = {
    http: read(() => HttpConfig.fromEnv(env)),
    signature: read(() => SignatureConfig.fromEnv(env)),
    database: read(() => DatabaseConfig.fromEnv(env)),
    workspace: read(() => WorkspaceConfig.fromEnv(env)),
    previewFiles: read(() => PreviewFilesConfig.fromEnv(env)),
    billing: read(() => BillingConfig.fromEnv(env)),
    buildQueue,
    // The builders share BUILD_TIMEOUT_MS; when it was refused that is already reported.
    builders: read(() => BuildersConfig.fromEnv(env, buildQueue ?? new BuildQueueConfig())),
    buildLogs: read(() => BuildLogsConfig.fromEnv(env)),
    idempotency: read(() => IdempotencyConfig.fromEnv(env)),
    rateLimits: read(() => RateLimitsConfig.fromEnv(env)),
    shutdown: read(() => ShutdownConfig.fromEnv(env)),
    logging: read(() => LoggingConfig.fromEnv(env)),
    janitor: read(() => JanitorConfig.fromEnv(env)),
    webhooks: read(() => WebhooksConfig.fromEnv(env)),
  };
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return config;
}
