import { SingleFlight } from './single-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs the work once for callers that arrive while it is in flight, and shares its result', async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    const work = jest.fn(() => gate.promise);

    const callers = [flight.run('k', work), flight.run('k', work), flight.run('k', work)];
    gate.resolve('done');

    const outcomes = await Promise.all(callers);
    expect(work).toHaveBeenCalledTimes(1);
    expect(outcomes.map((o) => o.result)).toEqual(['done', 'done', 'done']);
    expect(outcomes.map((o) => o.leader)).toEqual([true, false, false]);
  });

  it('keeps different keys apart', async () => {
    const flight = new SingleFlight<string>();
    const work = jest.fn((value: string) => Promise.resolve(value));
    const [a, b] = await Promise.all([flight.run('a', () => work('a')), flight.run('b', () => work('b'))]);
    expect([a.result, b.result]).toEqual(['a', 'b']);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('shares a failure with the callers that waited, then forgets the key', async () => {
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();
    const failure = new Error('failed');
    const first = flight.run('k', () => gate.promise);
    const second = flight.run('k', () => Promise.resolve('not run'));
    gate.reject(failure);

    await expect(first).rejects.toBe(failure);
    await expect(second).rejects.toBe(failure);
    await expect(flight.run('k', () => Promise.resolve('again'))).resolves.toEqual({ result: 'again', leader: true });
  });

  it('runs the work again once the previous run has finished', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    await flight.run('k', () => Promise.resolve(++runs));
    await flight.run('k', () => Promise.resolve(++runs));
    expect(runs).toBe(2);
  });
});
