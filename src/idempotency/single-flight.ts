/**
 * Coalesces identical work that is in flight in this process: the first caller for a key runs it,
 * callers arriving while it runs share its outcome. Identical double-clicks then cost one database
 * transaction (and one pooled connection) instead of one each, so a storm from one user cannot
 * starve the pool for everyone else.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** `leader` is true for the caller whose `work` ran. */
  async run(key: string, work: () => Promise<T>): Promise<{ result: T; leader: boolean }> {
    const running = this.inFlight.get(key);
    if (running) return { result: await running, leader: false };
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return { result: await started, leader: true };
  }
}
