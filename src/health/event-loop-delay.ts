import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';

const TICK_MS = 100;

/**
 * How late the event loop ran a 100 ms timer: the time synchronous work held it. Node's
 * `monitorEventLoopDelay` records a delay only when its timer finally runs, which is after the
 * I/O that was waiting (a readiness probe among it); here the tick still pending counts too, so
 * a probe answered right after a stall sees it. Measured from the end of the start, so what the
 * start itself does at once (compiling, the API document) is not counted.
 */
@Injectable()
export class EventLoopDelay implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private lastTick = performance.now();
  private worstMs = 0;

  onApplicationBootstrap(): void {
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      this.worstMs = Math.max(this.worstMs, this.lateness());
      this.lastTick = performance.now();
    }, TICK_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The longest delay since the last call, in whole ms; each call starts a new window. */
  takeWorstMs(): number {
    const worst = Math.max(this.worstMs, this.lateness());
    this.worstMs = 0;
    return Math.round(worst);
  }

  private lateness(): number {
    return Math.max(0, performance.now() - this.lastTick - TICK_MS);
  }
}
