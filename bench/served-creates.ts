import type { ChildServer } from './child-server';
import { CpuMeter } from './cpu-meter';
import { loadCreates } from './http-load';
import { LatencyRecorder, ServerMeasured } from './measurements';
import { cpuSeconds } from './process-cpu';

/**
 * One HTTP server's share of a level taken in slices: its latencies, its process's CPU and the
 * database server's, summed over them.
 */
export class ServedCreates {
  private readonly recorder = new LatencyRecorder();
  private readonly processCpu: CpuMeter;
  private readonly databaseCpu: CpuMeter;

  constructor(
    private readonly server: ChildServer,
    databaseCpuSeconds: () => number | undefined,
  ) {
    this.processCpu = new CpuMeter(() => cpuSeconds(server.pid));
    this.databaseCpu = new CpuMeter(databaseCpuSeconds);
  }

  async slice(connections: number, seconds: number): Promise<void> {
    await this.databaseCpu.during(() =>
      this.processCpu.during(() => loadCreates({ baseUrl: this.server.baseUrl, connections, seconds }, this.recorder)),
    );
  }

  summary(): ServerMeasured {
    const measured = this.recorder.summary();
    return {
      ...measured,
      cpuMsPerCreate: this.processCpu.msPer(measured.succeeded),
      databaseCpuMsPerCreate: this.databaseCpu.msPer(measured.succeeded),
    };
  }
}
