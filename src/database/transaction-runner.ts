import { Injectable, Logger } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { AdvisoryLock } from './advisory-lock';
import { DatabaseUnavailableError, RequestInProgressError, toDatabaseDomainError } from './database.errors';
import { inSpan } from '../telemetry/spans';
import { LocalLockQueue } from './local-lock-queue';

/** Bounds on every wait inside a transaction, so a contended lock is an answer, never a hang. */
export const TRANSACTION_LIMITS = {
  lockTimeoutMs: 3000,
  statementTimeoutMs: 10_000,
} as const;

export interface Transaction {
  /** Pass this as the first argument of every service call that belongs to the transaction. */
  readonly manager: EntityManager;
  /** Registers an undo for a side effect outside the database, run when the transaction does not commit. */
  readonly onRollback: (undo: () => Promise<void>) => void;
}

/**
 * The transaction's first round trip: BEGIN, the bounds on its waits and the advisory lock, sent
 * together (TypeORM's startTransaction would cost a round trip of its own). Integers only are
 * inlined (never caller input), so the simple query protocol may carry the statements together;
 * SET LOCAL ends with the transaction.
 */
function beginLockedStatement({ namespace, key }: AdvisoryLock): string {
  if (!Number.isInteger(namespace) || !Number.isInteger(key)) throw new TypeError('lock keys must be integers');
  return (
    `BEGIN; ` +
    `SET LOCAL lock_timeout = '${TRANSACTION_LIMITS.lockTimeoutMs}ms'; ` +
    `SET LOCAL statement_timeout = '${TRANSACTION_LIMITS.statementTimeoutMs}ms'; ` +
    `SELECT pg_advisory_xact_lock(${namespace}, ${key})`
  );
}

/**
 * The one place that touches QueryRunner: connect, begin, bound the waits, take the advisory lock,
 * commit or roll back, and always release the connection. It sends BEGIN, COMMIT and ROLLBACK
 * itself, so TypeORM's own transaction state stays unset: nothing here relies on it.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);
  private readonly localQueue = new LocalLockQueue();

  constructor(private readonly dataSource: DataSource) {}

  inTransaction<T>(lock: AdvisoryLock, work: (transaction: Transaction) => Promise<T>): Promise<T> {
    return inSpan('db.transaction', async () => {
      // Wait for this process's earlier holders of the lock in memory, not on a pooled connection.
      const release = await inSpan('lock.local_queue', () =>
        this.localQueue.acquire(`${lock.namespace}:${lock.key}`, TRANSACTION_LIMITS.lockTimeoutMs),
      );
      if (!release) throw new RequestInProgressError();
      try {
        return await this.runLocked(lock, work);
      } finally {
        release();
      }
    });
  }

  private async runLocked<T>(lock: AdvisoryLock, work: (transaction: Transaction) => Promise<T>): Promise<T> {
    const undos: (() => Promise<void>)[] = [];
    const runner = this.dataSource.createQueryRunner();
    let committing = false;
    try {
      await runner.connect();
      await inSpan('db.advisory_lock', () => runner.query(beginLockedStatement(lock)));
      const result = await work({ manager: runner.manager, onRollback: (undo) => undos.push(undo) });
      committing = true;
      await inSpan('db.commit', () => runner.query('COMMIT'));
      return result;
    } catch (error) {
      // Also after a failed BEGIN or COMMIT: ROLLBACK outside a transaction only warns.
      await runner.query('ROLLBACK').catch(() => undefined);
      // TypeORM releases a runner whose connection failed between two statements (pg's 'error'
      // event: a terminated backend, a network cut); the next statement, COMMIT included, is never sent.
      const neverSent =
        error instanceof QueryRunnerAlreadyReleasedError || error instanceof QueryRunnerProviderAlreadyReleasedError;
      const domainError = neverSent ? new DatabaseUnavailableError() : toDatabaseDomainError(error);
      if (committing && !neverSent && domainError instanceof DatabaseUnavailableError) {
        // The connection went during COMMIT, so the server may have committed: keeping a side effect
        // of a transaction that did not commit (an orphan the integrity audit finds) is the lesser
        // harm than undoing one of a transaction that did.
        this.logger.warn('commit outcome unknown (connection lost); rollback undos skipped');
      } else {
        await this.undo(undos);
      }
      throw domainError ?? error;
    } finally {
      await runner.release();
    }
  }

  private async undo(undos: (() => Promise<void>)[]): Promise<void> {
    for (const undo of undos.reverse()) {
      try {
        await undo();
      } catch (error) {
        this.logger.error(`rollback undo failed: ${(error as Error).message}`);
      }
    }
  }
}
