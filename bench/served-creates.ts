import type { ChildServer } from './child-server';
import { loadCreates } from './http-load';
import { LatencyRecorder, ServerMeasured } from './measurements';
import { cpuSeconds } from './process-cpu';

/** One HTTP server's share of a level taken in slices: its latencies and its process's CPU, summed over them. */
export class ServedCreates {
  private readonly recorder = new LatencyRecorder();
  private cpuUsed = 0;

  constructor(private readonly server: ChildServer) {}

  async slice(connections: number, seconds: number): Promise<void> {
    const cpuBefore = cpuSeconds(this.server.pid) ?? Number.NaN;
    await loadCreates({ baseUrl: this.server.baseUrl, connections, seconds }, this.recorder);
    this.cpuUsed += (cpuSeconds(this.server.pid) ?? Number.NaN) - cpuBefore;
  }

  summary(): ServerMeasured {
    const measured = this.recorder.summary();
    return { ...measured, cpuMsPerCreate: (1000 * this.cpuUsed) / measured.succeeded };
  }
}
