import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The checkout this benchmark runs from. */
export const THIS_CHECKOUT = resolve(__dirname, '..');

export interface ChildServerOptions {
  /** What it is, in messages: "the service". */
  name: string;
  /** Node's arguments: flags, then the script and its own arguments. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** Answers 2xx once the server takes requests. */
  readyPath: string;
}

/**
 * An HTTP server the benchmark runs as a Node process of its own on the project's Node, so that
 * its CPU time can be read from /proc apart from the load generator's. Its output is kept for a
 * failure message and printed when it stops, as a healthy run prints nothing.
 */
export class ChildServer {
  private output = '';

  private constructor(
    private readonly name: string,
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  static async start({ name, args, cwd, env, port, readyPath }: ChildServerOptions): Promise<ChildServer> {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ChildServer(name, child, `http://127.0.0.1:${port}`);
    await server.ready(readyPath, 90_000);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM, as an operator stops it; resolves once it has exited (a CPU profile is written then). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    if (this.output.trim()) process.stderr.write(`${this.name} logged:\n${this.output.slice(-4000)}\n`);
  }

  private async ready(readyPath: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited at start:\n${this.output}`);
      const answer = await fetch(`${this.baseUrl}${readyPath}`).catch(() => undefined);
      if (answer?.ok) return;
      await new Promise((wait) => setTimeout(wait, 200));
    }
    await this.stop();
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** The last lines it printed, for a failure message. */
  private keep(chunk: string): void {
    this.output = (this.output + chunk).slice(-20_000);
  }
}
