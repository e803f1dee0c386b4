import { EventEmitter } from 'node:events';
import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import { CREATE_PATH, createBody } from '../support/requests';
import { eventually } from '../support/processes';
import { startTestApp } from '../support/test-app';

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
