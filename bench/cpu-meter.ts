/**
 * CPU time spent by one source (a process, a database server) during the slices it is told of,
 * summed over them. NaN when the source cannot be read (a database on another machine).
 */
export class CpuMeter {
  private used = 0;

  constructor(private readonly cpuSeconds: () => number | undefined) {}

  async during<T>(slice: () => Promise<T>): Promise<T> {
    const before = this.cpuSeconds() ?? Number.NaN;
    try {
      return await slice();
    } finally {
      this.used += (this.cpuSeconds() ?? Number.NaN) - before;
    }
  }

  msPer(count: number): number {
    return (1000 * this.used) / count;
  }
}
