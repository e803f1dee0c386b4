/** What one load run measured: successful creates per second, their latency, and everything else. */
export interface Measured {
  perSecond: number;
  /** Milliseconds, over the successful requests. */
  p50: number;
  p99: number;
  /** Requests that did not succeed (any other status, connection errors, timeouts). */
  errors: number;
  /** What the errors were (HTTP status, connection error, database message), and how many of each. */
  errorKinds: Record<string, number>;
  succeeded: number;
}

/**
 * Creates with the CPU time (user + system) the database server used per create while they ran:
 * every backend and background process, as only one path is loaded at a time (NaN when the server
 * is on another machine).
 */
export interface DatabaseMeasured extends Measured {
  databaseCpuMsPerCreate: number;
}

/** An HTTP server's creates, with the CPU time (user + system) its process used per create, whatever else the machine ran. */
export interface ServerMeasured extends DatabaseMeasured {
  cpuMsPerCreate: number;
}

/** The value below which `fraction` of the sorted values lie (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Collects every request's latency exactly (no histogram buckets), successful and failed apart,
 * over one run or several slices of one (`during`), the rate over the time spent in them.
 */
export class LatencyRecorder {
  private readonly latencies: number[] = [];
  private failures = 0;
  private readonly errorKinds: Record<string, number> = {};
  private activeMs = 0;

  async during<T>(slice: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await slice();
    } finally {
      this.activeMs += performance.now() - startedAt;
    }
  }

  record(milliseconds: number): void {
    this.latencies.push(milliseconds);
  }

  fail(kind: string, count = 1): void {
    if (count === 0) return;
    this.failures += count;
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + count;
  }

  /** The slices so far. */
  summary(): Measured {
    const seconds = this.activeMs / 1000;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      perSecond: sorted.length / seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      errors: this.failures,
      errorKinds: this.errorKinds,
      succeeded: sorted.length,
    };
  }
}
