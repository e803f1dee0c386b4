import { Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  DataSource,
  EntityManager,
  QueryRunner,
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
  /**
   * One statement's rows, sent on the transaction's connection straight through `pg`: for a hot
   * path's one call, where TypeORM's per-query logging, events and awaits cost more than the call.
   */
  readonly query: <Row>(text: string, values: unknown[]) => Promise<Row[]>;
  /** Registers an undo for a side effect outside the database, run when the transaction does not commit. */
  readonly onRollback: (undo: () => Promise<void>) => void;
  /** Registers what must follow a commit, not precede it (waking the build workers), run once it succeeded. */
  readonly onCommit: (after: () => void) => void;
}

/**
 * The transaction's first round trip: BEGIN, the bounds on its waits and the advisory lock, sent
 * together. Integers only are inlined (never caller input), so the simple query protocol may carry
 * the statements together; SET LOCAL ends with the transaction.
 */
export function beginLockedStatement({ namespace, key }: AdvisoryLock): string {
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
 * itself, on the runner's connection (TypeORM's startTransaction would cost BEGIN a round trip of
 * its own), and tells TypeORM a transaction is open meanwhile.
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
    const afterCommit: (() => void)[] = [];
    const runner = this.dataSource.createQueryRunner();
    let connection: PoolClient | undefined;
    let committing = false;
    try {
      const client = (await runner.connect()) as PoolClient;
      connection = client;
      await inSpan('db.advisory_lock', () => client.query(beginLockedStatement(lock)));
      // So TypeORM treats the manager as inside a transaction: its own writes (save, remove) then
      // open no transaction of their own, which would commit ours halfway. The flag is read-only on
      // the QueryRunner interface only; TypeORM's runners set it themselves in startTransaction.
      transactionState(runner).isTransactionActive = true;
      const result = await work({
        manager: runner.manager,
        query: async <Row>(text: string, values: unknown[]) => (await client.query<Row & object>(text, values)).rows,
        onRollback: (undo) => undos.push(undo),
        onCommit: (after) => afterCommit.push(after),
      });
      committing = true;
      await inSpan('db.commit', () => client.query('COMMIT'));
      afterCommit.forEach((after) => after());
      return result;
    } catch (error) {
      // Also after a failed BEGIN or COMMIT: ROLLBACK outside a transaction only warns.
      await connection?.query('ROLLBACK').catch(() => undefined);
      // A connection that failed between two statements (pg's 'error' event: a terminated backend,
      // a network cut) sends nothing more, COMMIT included: TypeORM releases its runner, and pg
      // refuses the statement as "not queryable".
      const neverSent =
        error instanceof QueryRunnerAlreadyReleasedError ||
        error instanceof QueryRunnerProviderAlreadyReleasedError ||
        isNotQueryable(error);
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
      transactionState(runner).isTransactionActive = false;
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

/** pg's answer to a statement on a connection that already failed or closed: it was never sent. */
function isNotQueryable(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.endsWith('and is not queryable');
}

/** `$1, $2, …, $count`: the parameters of a call of one of the database's functions. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, (_, index) => `$${index + 1}`).join(', ');
}

function transactionState(runner: QueryRunner): { isTransactionActive: boolean } {
  return runner;
}
