import { EventEmitter } from 'node:events';
import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import { SERVICE_POOL_NAME } from '../../src/database/data-source-options';
import { CREATE_PATH, createBody } from '../support/requests';
import { eventually } from '../support/processes';
import { startTestApp } from '../support/test-app';

/** How long pg's pool keeps an idle connection unless told otherwise. */
const PG_DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/**
 * A connection a pool hands out loses the pool's own 'error' listener (pg-pool's `idleListener`)
 * before its user adds one; an error read in that gap would end the process (ADR 021,
 * `keepConnectionErrorsHeard`). Every pool the service opens must keep a listener of its own.
 */
describe('connections handed out by every pool of the service', () => {
  it('keep an error listener besides the pool’s own', async () => {
    /** Per pool (by its application_name), whether each connection it handed out kept a listener of its own. */
    const guarded = new Map<string, boolean[]>();
    const emit = jest.spyOn(Pool.prototype, 'emit').mockImplementation(function (
      this: Pool & { options: { application_name?: string } },
      event: string | symbol,
      ...args: unknown[]
    ) {
      if (event === 'acquire') {
        const own = (args[0] as PoolClient).listeners('error').filter((listener) => listener.name !== 'idleListener');
        const pool = this.options.application_name ?? 'the test’s own';
        guarded.set(pool, [...(guarded.get(pool) ?? []), own.length > 0]);
      }
      return EventEmitter.prototype.emit.call(this, event, ...args);
    });
    const t = await startTestApp({ roles: ['api', 'worker'], env: { RATE_LIMIT_PER_MINUTE: '60' } });
    try {
      const { body } = await t.http().post(CREATE_PATH).send(createBody()).expect(201);
      await eventually(
        'the build finished',
        async () => {
          const [build] = await t.db.query<{ status: string }>(
            `SELECT status FROM project_build_metrics WHERE build_id = $1`,
            [body.buildId],
          );
          return build.status === 'succeeded' || undefined;
        },
        15_000,
      );

      const everyConnection = (pool: string) => {
        const connections = guarded.get(pool) ?? [];
        return connections.length > 0 && connections.every(Boolean);
      };
      for (const pool of ['sheen-worker-service', 'sheen-build-queue'])
        expect({ pool, guarded: everyConnection(pool) }).toEqual({ pool, guarded: true });
      // The test's own pool has no guard, and the check sees it.
      expect(guarded.get('the test’s own')).toContain(false);
    } finally {
      emit.mockRestore();
      await t.close();
    }
  }, 30_000);
});

/**
 * A new connection's first create costs the database twenty to thirty warm creates (ADR 043), so
 * the service keeps idle connections through a pause in traffic that pg's default (10 s) would end.
 */
describe('the service’s pooled connections', () => {
  it('stay open through a pause in traffic longer than pg’s default idle timeout', async () => {
    const t = await startTestApp();
    const servicePids = async () =>
      (
        await t.db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
          [SERVICE_POOL_NAME],
        )
      ).map(({ pid }) => pid);
    try {
      await t.http().post(CREATE_PATH).send(createBody()).expect(201);
      const before = await servicePids();
      expect(before.length).toBeGreaterThan(0);

      await new Promise((resolve) => setTimeout(resolve, PG_DEFAULT_IDLE_TIMEOUT_MS + 1500));

      expect(await servicePids()).toEqual(expect.arrayContaining(before));
      await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    } finally {
      await t.close();
    }
  }, 30_000);
});
