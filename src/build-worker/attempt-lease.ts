/**
 * How long an attempt may go on after it stopped being the build's current one (the project was
 * deleted, or a later attempt took over) before it notices and stops its builder.
 */
const LEASE_CHECK_INTERVAL_MS = 1000;

/**
 * The right of one attempt to go on building. It is lost when the queue takes the job back (a
 * shutdown, a missed heartbeat) or when the build row says the attempt is no longer current; either
 * way `signal` aborts, which stops the builder and its processes.
 */
export class AttemptLease {
  readonly signal: AbortSignal;
  private readonly revoked = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly isCurrent: () => Promise<boolean>,
    queueSignal: AbortSignal,
  ) {
    this.signal = AbortSignal.any([queueSignal, this.revoked.signal]);
    this.timer = setInterval(() => void this.check(), LEASE_CHECK_INTERVAL_MS);
  }

  get lost(): boolean {
    return this.signal.aborted;
  }

  /** Stops checking; call once the builder has returned. */
  release(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking || this.lost) return;
    this.checking = true;
    try {
      if (!(await this.isCurrent())) this.revoked.abort(new Error('the attempt is no longer current'));
    } catch {
      // A check that could not run (a database blip) says nothing about the lease; the next one may.
    } finally {
      this.checking = false;
    }
  }
}
