import type { ClientBase } from 'pg';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { InitialSchema1764028800000 } from '../../migrations/1764028800000-InitialSchema';
import { RecentCreates1764201600000 } from '../../migrations/1764201600000-RecentCreates';
import { RateLimits1764288000000 } from '../../migrations/1764288000000-RateLimits';
import { BuildStatusEvents1764374400000 } from '../../migrations/1764374400000-BuildStatusEvents';
import { BuildAttemptStart1764460800000 } from '../../migrations/1764460800000-BuildAttemptStart';
import { VerbatimReplayBodies1764547200000 } from '../../migrations/1764547200000-VerbatimReplayBodies';
import { BuildRequestFunctions1764633600000 } from '../../migrations/1764633600000-BuildRequestFunctions';
import { BuildStatusEventsOnChange1764720000000 } from '../../migrations/1764720000000-BuildStatusEventsOnChange';
import { BuildRequestSettled1764806400000 } from '../../migrations/1764806400000-BuildRequestSettled';
import { AiTimeReservations1764892800000 } from '../../migrations/1764892800000-AiTimeReservations';
import { SpentSignatures1764979200000 } from '../../migrations/1764979200000-SpentSignatures';
import { SignatureSpentByCreate1765065600000 } from '../../migrations/1765065600000-SignatureSpentByCreate';
import { ReservedSecondsPlanCached1765152000000 } from '../../migrations/1765152000000-ReservedSecondsPlanCached';
import { BuildCanceled1765238400000 } from '../../migrations/1765238400000-BuildCanceled';
import { BuildLogs1765411200000 } from '../../migrations/1765411200000-BuildLogs';
import { BuildsPerUser1765497600000 } from '../../migrations/1765497600000-BuildsPerUser';
import { VersionRetention1765584000000 } from '../../migrations/1765584000000-VersionRetention';
import { Webhooks1765670400000 } from '../../migrations/1765670400000-Webhooks';
import { LeanerCreateWrites1765756800000 } from '../../migrations/1765756800000-LeanerCreateWrites';
import { ENTITIES } from './entities';

/** Every migration, in order; listed rather than globbed so source and build load the same set. */
export const MIGRATIONS = [
  InitialSchema1764028800000,
  RecentCreates1764201600000,
  RateLimits1764288000000,
  BuildStatusEvents1764374400000,
  BuildAttemptStart1764460800000,
  VerbatimReplayBodies1764547200000,
  BuildRequestFunctions1764633600000,
  BuildStatusEventsOnChange1764720000000,
  BuildRequestSettled1764806400000,
  AiTimeReservations1764892800000,
  SpentSignatures1764979200000,
  SignatureSpentByCreate1765065600000,
  ReservedSecondsPlanCached1765152000000,
  BuildCanceled1765238400000,
  BuildLogs1765411200000,
  BuildsPerUser1765497600000,
  VersionRetention1765584000000,
  Webhooks1765670400000,
  LeanerCreateWrites1765756800000,
];

/**
 * The pool holds one connection per in-flight transaction (the create path takes one for its whole
 * duration), so its size bounds concurrent creates per process; a wait for a connection is bounded.
 * 10 is measured (docs/benchmarks.md): on two cores, 4 lost a quarter of the creates/s and 16 gained
 * nothing over 10. An idle connection is kept five minutes, not pg's ten seconds: a new connection's
 * first create costs the database about 30 ms of CPU (it compiles create_project and the functions it
 * calls and plans their statements), twenty to thirty warm creates' worth, so a pool that empties
 * whenever traffic pauses for ten seconds makes the next burst pay that on every connection (ADR 043).
 */
export const POOL = { max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 300_000 } as const;

/**
 * Gives every pooled connection an 'error' listener for its whole life. pg-pool takes its own off a
 * connection it hands out, and TypeORM adds one only a microtask later: a FATAL read in the same
 * chunk as a new connection's ReadyForQuery (a backend terminated as it became ready) was emitted
 * with nobody listening, which ends the process (brianc/node-postgres#2762). Nothing is lost: the
 * connection is marked unusable, its next query fails (503) and the pool discards it on release.
 * Every pg pool of ours takes it as `onConnect`: pg-boss and the rate limiter have the same gap.
 */
export function keepConnectionErrorsHeard(client: ClientBase): void {
  client.on('error', () => undefined);
}

/**
 * Bounds on every wait of every statement the service sends, so a contended lock is an answer, never
 * a hang. They are the session defaults of the service's connections (pg sends them as it
 * connects): a request that is one statement (ADR 024) cannot set them before itself.
 * Migrations lift them on their own connection (runMigrationsLocked).
 */
export const WAIT_LIMITS = { lockTimeoutMs: 3000, statementTimeoutMs: 10_000, idleInTransactionMs: 10_000 } as const;

/** WAIT_LIMITS as pg's connection options. */
export const BOUNDED_WAITS = {
  lock_timeout: WAIT_LIMITS.lockTimeoutMs,
  statement_timeout: WAIT_LIMITS.statementTimeoutMs,
  // A transaction left open by a stuck request (a hung await between statements) is ended by the
  // database, which releases its locks and its pooled connection, instead of holding them forever.
  idle_in_transaction_session_timeout: WAIT_LIMITS.idleInTransactionMs,
} as const;

/** The `application_name` of the service's own pool, whose connections carry its transactions. */
export const SERVICE_POOL_NAME = 'sheen-worker-service';

/** Every data source of ours (the service, the audit CLI, the migration CLI, tests) is built from these. */
export function postgresOptions(url: string): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { ...POOL, application_name: SERVICE_POOL_NAME, onConnect: keepConnectionErrorsHeard },
  };
}
