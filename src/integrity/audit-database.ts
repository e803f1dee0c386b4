import { DatabaseConfig } from '../database/database.config';
import {
  EMBEDDED_DATA_DIR,
  hasCluster,
  runningEmbeddedPostgresUrl,
  startEmbeddedPostgres,
} from '../database/embedded-postgres';

export interface AuditDatabase {
  readonly url: string;
  /** Stops the embedded server if the audit started it; leaves any other alone. */
  close(): Promise<void>;
}

/**
 * The database the service uses. DATABASE_URL when set. Otherwise the embedded server in
 * `.data/postgres`: the one `npm start` is running, if it is (a second postmaster on the same data
 * directory would refuse to start), else one started for the audit and stopped after it.
 */
export async function openAuditDatabase(
  config: DatabaseConfig,
  log: (line: string) => void,
  dataDir = EMBEDDED_DATA_DIR,
): Promise<AuditDatabase> {
  if (config.url) return { url: config.url, close: () => Promise.resolve() };
  const running = await runningEmbeddedPostgresUrl(dataDir);
  if (running) return { url: running, close: () => Promise.resolve() };
  if (!hasCluster(dataDir)) {
    throw new Error(
      `DATABASE_URL is unset and ${dataDir} holds no database: set DATABASE_URL or start the service once`,
    );
  }
  const started = await startEmbeddedPostgres(dataDir, log);
  return { url: started.url, close: () => started.stop() };
}
