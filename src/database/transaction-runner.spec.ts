import { Logger } from '@nestjs/common';
import { DataSource, QueryRunner, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DatabaseUnavailableError, RequestInProgressError } from './database.errors';
import { TransactionRunner } from './transaction-runner';

const LOCK = { namespace: 1, key: 2 };

/**
 * A QueryRunner double and its connection, recording what the helper sent and did with them;
 * `commit` answers COMMIT.
 */
function fakeRunner(commit: () => Promise<void> = () => Promise.resolve()) {
  const calls: string[] = [];
  const connection = {
    query: jest.fn(
      (sql: string): Promise<unknown> => (calls.push(sql), sql === 'COMMIT' ? commit() : Promise.resolve({ rows: [] })),
    ),
  };
  const runner = {
    manager: {},
    connect: jest.fn((): Promise<unknown> => (calls.push('connect'), Promise.resolve(connection))),
    release: jest.fn(() => (calls.push('release'), Promise.resolve())),
  };
  const dataSource = { createQueryRunner: () => runner as unknown as QueryRunner } as unknown as DataSource;
  return { runner, connection, calls, transactions: new TransactionRunner(dataSource) };
}

describe('TransactionRunner', () => {
  it('begins and takes the two-key advisory lock in one round trip, then commits and releases', async () => {
    const { calls, transactions } = fakeRunner();

    await expect(transactions.inTransaction(LOCK, () => Promise.resolve('done'))).resolves.toBe('done');

    expect(calls[0]).toBe('connect');
    expect(calls[1]).toBe('BEGIN; SELECT pg_advisory_xact_lock(1, 2)');
    expect(calls.slice(2)).toEqual(['COMMIT', 'release']);
  });

  it('rolls back, runs the undos newest first, releases, and rethrows when the work fails', async () => {
    const { calls, transactions } = fakeRunner();
    const failure = new Error('step failed');

    await expect(
      transactions.inTransaction(LOCK, ({ onRollback }) => {
        onRollback(() => (calls.push('undo first'), Promise.resolve()));
        onRollback(() => (calls.push('undo second'), Promise.resolve()));
        return Promise.reject(failure);
      }),
    ).rejects.toBe(failure);

    expect(calls.slice(-4)).toEqual(['ROLLBACK', 'undo second', 'undo first', 'release']);
  });

  it('runs the undos when the server refuses the COMMIT (the transaction certainly did not commit)', async () => {
    const refused = Object.assign(new Error('deferred constraint failed'), { code: '23514' });
    const { calls, transactions } = fakeRunner(() => Promise.reject(refused));
    const undo = jest.fn(() => Promise.resolve());

    await expect(
      transactions.inTransaction(LOCK, ({ onRollback }) => (onRollback(undo), Promise.resolve())),
    ).rejects.toBe(refused);

    expect(undo).toHaveBeenCalledTimes(1);
    expect(calls.at(-1)).toBe('release');
  });

  it('keeps the side effects when the connection is lost during COMMIT (the outcome is unknown)', async () => {
    const lost = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const { calls, transactions } = fakeRunner(() => Promise.reject(lost));
    const undo = jest.fn(() => Promise.resolve());
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    await expect(
      transactions.inTransaction(LOCK, ({ onRollback }) => (onRollback(undo), Promise.resolve())),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);

    expect(undo).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('commit outcome unknown'));
    warn.mockRestore();
    expect(calls.at(-1)).toBe('release');
  });

  it.each([
    ['a statement of the work (EntityManager.query)', 'work', new QueryRunnerProviderAlreadyReleasedError()],
    ['COMMIT (pg refused the broken connection)', 'commit', notQueryable()],
  ])(
    'answers database_unavailable and runs the undos when the connection failed before %s',
    async (_statement, where, released) => {
      // The connection's 'error' event came first: the next statement never reaches the server.
      const { calls, transactions } = fakeRunner(() =>
        where === 'commit' ? Promise.reject(released) : Promise.resolve(),
      );
      const undo = jest.fn(() => Promise.resolve());

      await expect(
        transactions.inTransaction(LOCK, ({ onRollback }) => {
          onRollback(undo);
          return where === 'work' ? Promise.reject(released) : Promise.resolve();
        }),
      ).rejects.toBeInstanceOf(DatabaseUnavailableError);

      expect(undo).toHaveBeenCalledTimes(1);
      expect(calls.at(-1)).toBe('release');
    },
  );

  it('tells TypeORM a transaction is open while the work runs, so its own writes open none of their own', async () => {
    const { runner, transactions } = fakeRunner();
    const state = runner as unknown as { isTransactionActive?: boolean };

    const during = await transactions.inTransaction(LOCK, () => Promise.resolve(state.isTransactionActive));

    expect(during).toBe(true);
    expect(state.isTransactionActive).toBe(false);
  });

  it("hands the work its connection's rows for a statement of its own, between BEGIN and COMMIT", async () => {
    const { calls, connection, transactions } = fakeRunner();
    connection.query.mockImplementation((sql: string) =>
      Promise.resolve({ rows: sql.startsWith('SELECT answer') ? [{ answer: 42 }] : [] }),
    );

    const rows = await transactions.inTransaction(LOCK, ({ query }) => query('SELECT answer($1)', [1]));

    expect(rows).toEqual([{ answer: 42 }]);
    expect(connection.query.mock.calls.map(([sql]) => sql)).toEqual([
      expect.stringMatching(/^BEGIN; /),
      'SELECT answer($1)',
      'COMMIT',
    ]);
    expect(calls.at(-1)).toBe('release');
  });

  it('turns a lock wait that ran out into request_in_progress, so the worker sees the same codes as HTTP', async () => {
    const { transactions, runner, connection } = fakeRunner();
    connection.query.mockImplementationOnce(() =>
      Promise.reject(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' })),
    );
    const work = jest.fn(() => Promise.resolve());

    await expect(transactions.inTransaction(LOCK, work)).rejects.toBeInstanceOf(RequestInProgressError);
    expect(work).not.toHaveBeenCalled();
    expect(runner.release).toHaveBeenCalledTimes(1);
  });

  it('releases the connection even when connecting fails', async () => {
    const { transactions, runner } = fakeRunner();
    runner.connect.mockImplementationOnce(() =>
      Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
    );

    await expect(transactions.inTransaction(LOCK, () => Promise.resolve())).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect(runner.release).toHaveBeenCalledTimes(1);
  });
});

describe('TransactionRunner.inTransactionIfFree', () => {
  /** A runner whose connection answers the try-lock with `acquired`, as pg answers two statements in one query. */
  function tryLockRunner(acquired: boolean) {
    const fake = fakeRunner();
    fake.connection.query.mockImplementation((sql: string) => {
      fake.calls.push(sql);
      return Promise.resolve(sql.startsWith('BEGIN') ? [{ rows: [] }, { rows: [{ acquired }] }] : { rows: [] });
    });
    return fake;
  }

  it('begins and tries the lock in one round trip, runs the work and commits when the lock is free', async () => {
    const { calls, transactions } = tryLockRunner(true);

    await expect(transactions.inTransactionIfFree(LOCK, () => Promise.resolve('done'))).resolves.toEqual({
      result: 'done',
    });

    expect(calls).toEqual([
      'connect',
      'BEGIN; SELECT pg_try_advisory_xact_lock(1, 2) AS acquired',
      'COMMIT',
      'release',
    ]);
  });

  it('runs nothing, rolls back and answers undefined when another session holds the lock', async () => {
    const { calls, transactions } = tryLockRunner(false);
    const work = jest.fn(() => Promise.resolve());

    await expect(transactions.inTransactionIfFree(LOCK, work)).resolves.toBeUndefined();

    expect(work).not.toHaveBeenCalled();
    expect(calls.slice(-2)).toEqual(['ROLLBACK', 'release']);
  });

  it('does not wait for a holder of the lock in this process', async () => {
    const { transactions } = tryLockRunner(true);
    let finish!: () => void;
    const first = transactions.inTransactionIfFree(LOCK, () => new Promise<void>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setImmediate(resolve));

    await expect(transactions.inTransactionIfFree(LOCK, () => Promise.resolve())).resolves.toBeUndefined();

    finish();
    await expect(first).resolves.toEqual({ result: undefined });
  });

  it('rolls back, releases and rethrows when the work fails', async () => {
    const { calls, transactions } = tryLockRunner(true);
    const failure = new Error('step failed');

    await expect(transactions.inTransactionIfFree(LOCK, () => Promise.reject(failure))).rejects.toBe(failure);

    expect(calls.slice(-2)).toEqual(['ROLLBACK', 'release']);
  });
});

/** What pg throws for a statement on a connection whose 'error' event has fired. */
function notQueryable(): Error {
  return new Error('Client has encountered a connection error and is not queryable');
}
