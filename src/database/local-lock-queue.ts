/**
 * Queues, inside this process, the transactions that will take the same advisory lock, so only the
 * first holds a pooled connection while the rest wait in memory. Without it, a storm of requests
 * from one user would each take a connection just to wait on the lock, and starve other users.
 */
export class LocalLockQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** A release function when nobody holds or waits for `key`; undefined when `acquire` would wait. */
  tryAcquire(key: string): (() => void) | undefined {
    if (this.tails.has(key)) return undefined;
    return this.enqueue(key).release;
  }

  /**
   * Resolves with a release function once every earlier holder of `key` has released, or resolves
   * with undefined after `timeoutMs` (the caller then gives up; its place passes straight on).
   */
  async acquire(key: string, timeoutMs: number): Promise<(() => void) | undefined> {
    const { previous, release } = this.enqueue(key);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const gotIt = await Promise.race([previous.then(() => false as const), timedOut]);
    clearTimeout(timer);
    if (gotIt !== false) {
      release();
      return undefined;
    }
    return release;
  }

  /** Joins the end of `key`'s queue: `previous` settles when the holder before this one releases. */
  private enqueue(key: string): { previous: Promise<void>; release: () => void } {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return { previous, release };
  }
}
