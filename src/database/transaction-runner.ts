import { Injectable, Logger } from '@nestjs/common';
import { DatabaseError } from 'pg';
import type { Pool, PoolClient } from 'pg';
import {
  DataSource,
  EntityManager,
  QueryRunner,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { AdvisoryLock } from './advisory-lock';
import { WAIT_LIMITS } from './data-source-options';
import { DatabaseUnavailableError, RequestInProgressError, toDatabaseDomainError } from './database.errors';
import { inSpan } from '../telemetry/spans';
import { LocalLockQueue } from './local-lock-queue';

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
}

/**
 * The transaction's first round trip: BEGIN and the advisory lock, sent together (the simple query
 * protocol carries both; integers only are inlined, never caller input). The waits are bounded by
 * the connection's session (WAIT_LIMITS).
 */
export function beginLockedStatement(lock: AdvisoryLock, waits = true): string {
  return waits
    ? `BEGIN; SELECT ${advisoryLockCall(lock)}`
    : `BEGIN; SELECT ${advisoryLockCall(lock, 'try')} AS acquired`;
}

/**
 * A call that is the whole of its transaction (inOneStatement), prepared under `name` on each
 * connection: its text is the same for every lock, so the server parses and plans it once per
 * connection, not once per request (ADR 031).
 */
export interface LockedCall {
  readonly name: string;
  readonly text: string;
}

/**
 * `call` (one function call, its parameters $1, $2, …) under the advisory lock given as the two
 * parameters after the call's last: the lock's CTE is read before the call is evaluated, and the
 * statement commits as it completes (ADR 024).
 */
export function lockedCall(name: string, call: string): LockedCall {
  const parameterCount = Math.max(0, ...Array.from(call.matchAll(/\$(\d+)/g), ([, index]) => Number(index)));
  const lock = `pg_advisory_xact_lock($${parameterCount + 1}, $${parameterCount + 2})`;
  return { name, text: `WITH locked AS MATERIALIZED (SELECT ${lock}) SELECT ${call} AS answer FROM locked` };
}

function advisoryLockCall({ namespace, key }: AdvisoryLock, mode: 'wait' | 'try' = 'wait'): string {
  if (!Number.isInteger(namespace) || !Number.isInteger(key)) throw new TypeError('lock keys must be integers');
  return `pg_${mode === 'try' ? 'try_' : ''}advisory_xact_lock(${namespace}, ${key})`;
}

/**
 * The one place that opens transactions: in this process's queue for the lock, then either a
 * transaction of several statements (connect, begin with the lock, the work, commit or roll back,
 * always release) or one statement that is a whole transaction. It sends BEGIN, COMMIT and
 * ROLLBACK itself, on the runner's connection (TypeORM's startTransaction would cost BEGIN a round
 * trip of its own), and tells TypeORM a transaction is open meanwhile.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);
  private readonly localQueue = new LocalLockQueue();

  constructor(private readonly dataSource: DataSource) {}

  inTransaction<T>(lock: AdvisoryLock, work: (transaction: Transaction) => Promise<T>): Promise<T> {
    return inSpan('db.transaction', () =>
      this.inLocalQueue(lock, async () => (await this.runLocked(lock, work, true))!.result),
    );
  }

  /**
   * Like inTransaction, but only while no one holds the lock, in this process or another: it never
   * waits. Undefined, having run nothing, when the lock is held (a round another process runs).
   */
  async inTransactionIfFree<T>(
    lock: AdvisoryLock,
    work: (transaction: Transaction) => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    const release = this.localQueue.tryAcquire(`${lock.namespace}:${lock.key}`);
    if (!release) return undefined;
    try {
      return await inSpan('db.transaction', () => this.runLocked(lock, work, false));
    } finally {
      release();
    }
  }

  /**
   * Runs `call` with `values` as a transaction of its own, in one round trip, under the lock, and
   * answers its `answer` column. `undo` reverses a side effect made before it; it runs when the
   * statement did not commit (not when the outcome is unknown).
   */
  inOneStatement<Answer>(
    lock: AdvisoryLock,
    call: LockedCall,
    values: unknown[],
    undo?: () => Promise<void>,
  ): Promise<Answer> {
    const undos = undo ? [undo] : [];
    return this.inLocalQueue(lock, async () => {
      let client: PoolClient;
      try {
        client = await this.pool().connect();
      } catch (error) {
        throw await this.failed(error, false, undos);
      }
      try {
        const { rows } = await client.query<{ answer: Answer }>({
          name: call.name,
          text: call.text,
          values: [...values, lock.namespace, lock.key],
        });
        client.release();
        return rows[0].answer;
      } catch (error) {
        const rolledBack = failedOnServer(error);
        // A connection that broke mid-statement is not handed out again.
        client.release(rolledBack ? undefined : (error as Error));
        throw await this.failed(error, !rolledBack, undos);
      }
    });
  }

  /**
   * One statement that is a transaction of its own and needs no lock, prepared under `name` on each
   * connection, straight through `pg`; its rows.
   */
  async alone<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool().query<Row & object>({ name, text, values })).rows;
  }

  /**
   * Waits for this process's earlier holders of the lock in memory, not on a pooled connection; a
   * wait has a span of its own.
   */
  private async inLocalQueue<T>(lock: AdvisoryLock, work: () => Promise<T>): Promise<T> {
    const key = `${lock.namespace}:${lock.key}`;
    const release =
      this.localQueue.tryAcquire(key) ??
      (await inSpan('lock.local_queue', () => this.localQueue.acquire(key, WAIT_LIMITS.lockTimeoutMs)));
    if (!release) throw new RequestInProgressError();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** The transaction under the lock; undefined when the lock was not to be waited for and is held. */
  private async runLocked<T>(
    lock: AdvisoryLock,
    work: (transaction: Transaction) => Promise<T>,
    waits: boolean,
  ): Promise<{ result: T } | undefined> {
    const undos: (() => Promise<void>)[] = [];
    const runner = this.dataSource.createQueryRunner();
    let connection: PoolClient | undefined;
    let committing = false;
    try {
      const client = (await runner.connect()) as PoolClient;
      connection = client;
      const begun: unknown = await inSpan('db.advisory_lock', () => client.query(beginLockedStatement(lock, waits)));
      if (!waits && !lockAcquired(begun)) {
        await client.query('ROLLBACK');
        return undefined;
      }
      // So TypeORM treats the manager as inside a transaction: its own writes (save, remove) then
      // open no transaction of their own, which would commit ours halfway. The flag is read-only on
      // the QueryRunner interface only; TypeORM's runners set it themselves in startTransaction.
      transactionState(runner).isTransactionActive = true;
      const result = await work({
        manager: runner.manager,
        query: async <Row>(text: string, values: unknown[]) => (await client.query<Row & object>(text, values)).rows,
        onRollback: (undo) => undos.push(undo),
      });
      committing = true;
      await inSpan('db.commit', () => client.query('COMMIT'));
      return { result };
    } catch (error) {
      // Also after a failed BEGIN or COMMIT: ROLLBACK outside a transaction only warns.
      await connection?.query('ROLLBACK').catch(() => undefined);
      throw await this.failed(error, committing, undos);
    } finally {
      transactionState(runner).isTransactionActive = false;
      await runner.release();
    }
  }

  /**
   * What a failed transaction answers: a domain error where the failure is one (the original
   * otherwise), after undoing its side effects outside the database, unless it may have committed.
   */
  private async failed(error: unknown, committing: boolean, undos: (() => Promise<void>)[]): Promise<unknown> {
    // A connection that failed between two statements (pg's 'error' event: a terminated backend,
    // a network cut) sends nothing more, COMMIT included: TypeORM releases its runner, and pg
    // refuses the statement as "not queryable".
    const neverSent =
      error instanceof QueryRunnerAlreadyReleasedError ||
      error instanceof QueryRunnerProviderAlreadyReleasedError ||
      isNotQueryable(error);
    const domainError = neverSent ? new DatabaseUnavailableError() : toDatabaseDomainError(error);
    // Callers answer with the domain error; a log line wants what the database said.
    if (domainError) domainError.cause = error;
    if (committing && !neverSent && domainError instanceof DatabaseUnavailableError) {
      // The connection went during COMMIT, so the server may have committed: keeping a side effect
      // of a transaction that did not commit (an orphan the integrity audit finds) is the lesser
      // harm than undoing one of a transaction that did.
      this.logger.warn('commit outcome unknown (connection lost); rollback undos skipped');
    } else {
      for (const undo of undos.reverse()) {
        try {
          await undo();
        } catch (undoError) {
          this.logger.error(`rollback undo failed: ${(undoError as Error).message}`);
        }
      }
    }
    return domainError ?? error;
  }

  /** The service's pg pool, under TypeORM's driver: a one-statement transaction needs nothing of TypeORM's. */
  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }
}

/** The answer of `BEGIN; SELECT pg_try_advisory_xact_lock(…) AS acquired`: one result per statement. */
function lockAcquired(begun: unknown): boolean {
  const results = Array.isArray(begun) ? (begun as { rows?: { acquired?: unknown }[] }[]) : [];
  return results.at(-1)?.rows?.[0]?.acquired === true;
}

/** The server refused the statement with an error, so it rolled back and the connection is still good. */
function failedOnServer(error: unknown): boolean {
  return error instanceof DatabaseError && error.severity === 'ERROR';
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
