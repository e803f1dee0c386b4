import { GracefulShutdown, ShutdownSteps } from './graceful-shutdown';
import { ShutdownState } from './shutdown-state';

/** Steps that record the order they ran in, each noting whether readiness already said 503. */
function recordingSteps(overrides: Partial<ShutdownSteps> = {}) {
  const ran: string[] = [];
  const state = new ShutdownState();
  const record = (step: string) => async () => {
    ran.push(`${step}${state.shuttingDown ? ' (shutting down)' : ''}`);
    await Promise.resolve();
  };
  let exitedWith!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exitedWith = resolve));
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const steps: ShutdownSteps = {
    state,
    drainMs: 0,
    deadlineMs: 60_000,
    closeHttp: record('close http'),
    closeApp: record('close app'),
    closeRest: record('close rest'),
    exit: (code) => {
      ran.push(`exit ${code}`);
      exitedWith(code);
    },
    logger,
    ...overrides,
  };
  return { ran, state, steps, logger, exited };
}

/** What a shutdown with HTTP runs, in order, when every step succeeds. */
const EVERY_STEP = ['close http (shutting down)', 'close app (shutting down)', 'close rest (shutting down)', 'exit 0'];

describe('GracefulShutdown', () => {
  it('marks the process as shutting down first, then closes HTTP, the app and the rest, and exits 0', async () => {
    const { ran, steps } = recordingSteps();

    await new GracefulShutdown(steps).shutDown('SIGTERM');

    expect(ran).toEqual(EVERY_STEP);
  });

  it('keeps serving through the drain: readiness is already 503 while HTTP is not yet closed', async () => {
    const { ran, state, steps } = recordingSteps({ drainMs: 200 });

    const shutdown = new GracefulShutdown(steps).shutDown('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(state.shuttingDown).toBe(true);
    expect(ran).toEqual([]);
    await shutdown;
    expect(ran).toEqual(EVERY_STEP);
  });

  it('skips the drain and the listener in a process without HTTP', async () => {
    const { ran, steps } = recordingSteps({ drainMs: 60_000, closeHttp: undefined });

    await new GracefulShutdown(steps).shutDown('SIGTERM');

    expect(ran).toEqual(['close app (shutting down)', 'close rest (shutting down)', 'exit 0']);
  });

  it('ignores a second signal while shutting down, and says so', async () => {
    const { ran, steps, logger } = recordingSteps({ drainMs: 100 });
    const shutdown = new GracefulShutdown(steps);

    const first = shutdown.shutDown('SIGTERM');
    await shutdown.shutDown('SIGINT');
    await first;

    expect(ran).toEqual(EVERY_STEP);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('SIGINT received while shutting down'));
  });

  it('still closes the rest (the embedded PostgreSQL) and exits 1 when a step fails', async () => {
    const { ran, steps, logger } = recordingSteps({ closeApp: () => Promise.reject(new Error('pool stuck')) });

    await new GracefulShutdown(steps).shutDown('SIGTERM');

    expect(ran).toEqual(['close http (shutting down)', 'close rest (shutting down)', 'exit 1']);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('pool stuck'));
  });

  it('exits 1 when a step hangs past the deadline', async () => {
    const { ran, steps, exited } = recordingSteps({ deadlineMs: 100, closeApp: () => new Promise<void>(() => {}) });

    void new GracefulShutdown(steps).shutDown('SIGTERM');

    expect(await exited).toBe(1);
    expect(ran).toEqual(['close http (shutting down)', 'exit 1']);
  });
});
