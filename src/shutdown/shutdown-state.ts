import { Injectable } from '@nestjs/common';

/**
 * Whether this process has begun to shut down. From then on readiness answers 503 and every HTTP
 * response closes its connection, while requests are still served until the listener closes.
 */
@Injectable()
export class ShutdownState {
  private readonly began = new AbortController();

  get shuttingDown(): boolean {
    return this.began.signal.aborted;
  }

  /** Aborts when shutdown begins: for what must end before the listener can close (event streams). */
  get signal(): AbortSignal {
    return this.began.signal;
  }

  begin(): void {
    this.began.abort();
  }
}
