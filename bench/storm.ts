import { Agent } from 'node:http';
import { postCreate } from './http-client';
import { percentile } from './measurements';
import { signedCreate } from './signed-create';

/** Clicks in one burst of a double-click storm. */
export const CLICKS_PER_BURST = 200;
/** One burst starts every this often: a user who double-clicks 200 times, again and again. */
const BURST_EVERY_MS = 1000;

export interface StormResult {
  bursts: number;
  clicks: number;
  /** Answers by status: one 201 per burst and 200 (deduplicated) for the other clicks is right. */
  statuses: Record<string, number>;
  /** Milliseconds from sending a click to its answer, over all clicks. */
  clickP99: number;
}

/**
 * One user "double-clicking" create 200 times at once, a burst every second while other work runs:
 * every click of a burst is the same signed request (same body, same bytes), each burst a new
 * prompt. Each burst must end in exactly one project (ADR 012); the caller counts them.
 */
export class DoubleClickStorm {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: CLICKS_PER_BURST });
  private readonly latencies: number[] = [];
  private readonly statuses: Record<string, number> = {};
  private bursts = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly userId: string,
  ) {}

  /** Bursts from now until `work` ends (the burst in flight then is waited for), and `work`'s result. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    let done = false;
    const result = work().finally(() => (done = true));
    // Its failure is thrown below; until then it must not count as unhandled.
    result.catch(() => undefined);
    while (!done) {
      const startedAt = performance.now();
      await this.burst();
      const rest = BURST_EVERY_MS - (performance.now() - startedAt);
      if (rest > 0 && !done) await Promise.race([result, new Promise((wait) => setTimeout(wait, rest))]);
    }
    return result;
  }

  result(): StormResult {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { bursts: this.bursts, clicks: sorted.length, statuses: this.statuses, clickP99: percentile(sorted, 0.99) };
  }

  close(): void {
    this.agent.destroy();
  }

  private async burst(): Promise<void> {
    this.bursts += 1;
    const signed = signedCreate({ userId: this.userId, prompt: `A shop for my bakery, take ${this.bursts}` });
    const answers = await Promise.all(
      Array.from({ length: CLICKS_PER_BURST }, () => postCreate(this.agent, this.baseUrl, signed)),
    );
    for (const { status, milliseconds } of answers) {
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      this.latencies.push(milliseconds);
    }
  }
}
