import { Logger } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseUnavailableError, RequestInProgressError } from './database.errors';
import { lockedCall, TransactionRunner } from './transaction-runner';

// The one-statement transaction: straight on the pg pool, its lock in the statement (ADRs 024, 031).

const LOCK = { namespace: 1, key: 2 };

describe('lockedCall', () => {
  it('puts the lock in the two parameters after the call’s last', () => {
    expect(lockedCall('g', 'g($1, $10, $2)').text).toBe(
      'WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($11, $12)) SELECT g($1, $10, $2) AS answer FROM locked',
    );
  });
});

describe('TransactionRunner.inOneStatement', () => {
  /** A pg pool double under TypeORM's driver; `answer` answers the statement. */
  function fakePool(answer: () => Promise<unknown>, connect = () => Promise.resolve()) {
    const calls: string[] = [];
    const client = {
      query: jest.fn((sql: { text: string; values: unknown[] }) => (calls.push(sql.text), answer())),
      release: jest.fn((error?: Error) => calls.push(error ? 'release broken' : 'release')),
    };
    const pool = { connect: jest.fn(() => connect().then(() => client)) };
    const dataSource = { driver: { master: pool } } as unknown as DataSource;
    return { calls, client, transactions: new TransactionRunner(dataSource) };
  }
  const F = lockedCall('f', 'f()');
  const serverError = (code: string) =>
    Object.assign(new DatabaseError('refused', 0, 'error'), { code, severity: 'ERROR' });

  it('sends the lock and the call as one statement and answers its answer column', async () => {
    const { calls, client, transactions } = fakePool(() =>
      Promise.resolve({ rows: [{ answer: { answer: 'created' } }] }),
    );

    await expect(transactions.inOneStatement(LOCK, lockedCall('f', 'f($1)'), ['x'])).resolves.toEqual({
      answer: 'created',
    });

    expect(calls).toEqual([
      'WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($2, $3)) SELECT f($1) AS answer FROM locked',
      'release',
    ]);
    expect(client.query).toHaveBeenCalledWith(expect.objectContaining({ name: 'f', values: ['x', 1, 2] }));
  });

  it('runs the undo when the server failed the statement (it rolled back), and keeps the connection', async () => {
    const refused = serverError('SR001');
    const { calls, transactions } = fakePool(() => Promise.reject(refused));
    const undo = jest.fn(() => Promise.resolve());

    await expect(transactions.inOneStatement(LOCK, F, [], undo)).rejects.toBe(refused);

    expect(undo).toHaveBeenCalledTimes(1);
    expect(calls.at(-1)).toBe('release');
  });

  it('answers a lock timeout as request_in_progress, after the undo', async () => {
    const { transactions } = fakePool(() => Promise.reject(serverError('55P03')));
    const undo = jest.fn(() => Promise.resolve());

    await expect(transactions.inOneStatement(LOCK, F, [], undo)).rejects.toBeInstanceOf(RequestInProgressError);
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('keeps the side effect when the connection broke mid-statement (it may have committed), and drops the connection', async () => {
    const { calls, transactions } = fakePool(() => Promise.reject(new Error('Connection terminated unexpectedly')));
    const undo = jest.fn(() => Promise.resolve());
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    await expect(transactions.inOneStatement(LOCK, F, [], undo)).rejects.toBeInstanceOf(DatabaseUnavailableError);

    expect(undo).not.toHaveBeenCalled();
    expect(calls.at(-1)).toBe('release broken');
    warn.mockRestore();
  });

  it('runs the undo when no connection could be had (nothing was sent)', async () => {
    const { calls, transactions } = fakePool(
      () => Promise.resolve({ rows: [] }),
      () => Promise.reject(new Error('timeout exceeded when trying to connect')),
    );
    const undo = jest.fn(() => Promise.resolve());

    await expect(transactions.inOneStatement(LOCK, F, [], undo)).rejects.toBeInstanceOf(DatabaseUnavailableError);

    expect(undo).toHaveBeenCalledTimes(1);
    expect(calls).toEqual([]);
  });
});
