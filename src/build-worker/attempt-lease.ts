import type { Observable, Subscription } from 'rxjs';

/**
 * How long an attempt may go on after it stopped being the build's current one (the project was
 * deleted, or a later attempt took over; a cancel is usually heard at once, see `watch`) before it
 * notices and stops its builder.
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
  private checkAgain = false;
  private released = false;
  private watching?: Subscription;

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

  /**
   * Checks the lease whenever `changes` says the build's row may have changed (its status,
   * announced from any process), and once now, for a change made before the watch began. The
   * interval's checks go on beside it.
   */
  watch(changes: Observable<void>): void {
    if (this.released) return;
    this.watching = changes.subscribe(() => void this.check());
    void this.check();
  }

  /** Stops checking; call once the builder has returned. */
  release(): void {
    this.released = true;
    clearInterval(this.timer);
    this.watching?.unsubscribe();
  }

  /** One check at a time; a change heard during one is checked again after it, never dropped. */
  private async check(): Promise<void> {
    if (this.lost || this.released) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        if (!(await this.isCurrent())) this.revoked.abort(new Error('the attempt is no longer current'));
      } while (this.checkAgain && !this.lost);
    } catch {
      // A check that could not run (a database blip) says nothing about the lease; the next one may.
    } finally {
      this.checking = false;
    }
  }
}
