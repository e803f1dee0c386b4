import { LocalLockQueue } from './local-lock-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('LocalLockQueue', () => {
  it('lets one holder per key at a time, in arrival order', async () => {
    const queue = new LocalLockQueue();
    const order: string[] = [];
    const first = await queue.acquire('user', 1000);
    const second = queue.acquire('user', 1000).then((release) => (order.push('second'), release));
    const third = queue.acquire('user', 1000).then((release) => (order.push('third'), release));
    await tick();
    expect(order).toEqual([]);

    first!();
    (await second)!();
    (await third)!();
    expect(order).toEqual(['second', 'third']);
  });

  it('keeps keys apart', async () => {
    const queue = new LocalLockQueue();
    const a = await queue.acquire('a', 1000);
    const b = await queue.acquire('b', 10);
    expect(b).toBeInstanceOf(Function);
    a!();
    b!();
  });

  it('gives up after the timeout, and a waiter behind it is not held up by the one that gave up', async () => {
    const queue = new LocalLockQueue();
    const holder = await queue.acquire('user', 1000);
    const gaveUp = await queue.acquire('user', 20);
    expect(gaveUp).toBeUndefined();

    const next = queue.acquire('user', 1000);
    holder!();
    const release = await next;
    expect(release).toBeInstanceOf(Function);
    release!();
  });

  it('forgets a key once nobody holds or waits for it', async () => {
    const queue = new LocalLockQueue();
    (await queue.acquire('user', 1000))!();
    await tick();
    expect((queue as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });

  it('hands out a free key at once, and nothing while it is held or waited for', async () => {
    const queue = new LocalLockQueue();
    const holder = queue.tryAcquire('user');
    expect(holder).toBeInstanceOf(Function);
    expect(queue.tryAcquire('user')).toBeUndefined();

    const waiter = queue.acquire('user', 1000);
    holder!();
    const release = await waiter;
    expect(queue.tryAcquire('user')).toBeUndefined();
    release!();
    await tick();
    expect(queue.tryAcquire('user')).toBeInstanceOf(Function);
  });
});
