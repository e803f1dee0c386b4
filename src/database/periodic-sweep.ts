import { Logger } from '@nestjs/common';

/**
 * A delete of expired rows, run every `everyMs` while the app runs, in every process (the deletes
 * are idempotent, so running them in several places costs only a query). A failed sweep is logged,
 * never thrown: the next one tries again.
 */
export class PeriodicSweep {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;

  /** `owner` names the logger's context, `what` the sweep in its warning. */
  constructor(
    owner: string,
    private readonly what: string,
    private readonly everyMs: number,
    private readonly sweep: () => Promise<void>,
  ) {
    this.logger = new Logger(owner);
  }

  start(): void {
    this.timer = setInterval(() => void this.run(), this.everyMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sweep now (the periodic one, or `sweep` in its place), its failure logged. */
  async run(sweep: () => Promise<void> = this.sweep): Promise<void> {
    try {
      await sweep();
    } catch (error) {
      this.logger.warn(`${this.what} failed: ${(error as Error).message}`);
    }
  }
}
