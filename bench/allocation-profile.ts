import { mkdtemp, rm } from 'node:fs/promises';
import type { HeapProfiler } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/net/free-port';
import { locateScript } from './code-location';
import { openDatabaseServer } from './database-server';
import { loadCreates } from './http-load';
import { startService } from './service-process';

/**
 * What the service allocates per create, by package and by function (docs/benchmarks.md, "Where
 * the tail comes from"): the service in the API role on a database of its own, 16 connections of
 * creates, V8's sampling heap profiler read over the inspector protocol. Two passes: everything
 * allocated, then only what survived a scavenge (what the young generation's collections copy and
 * promote). Usage: node -r ts-node/register/transpile-only bench/allocation-profile.ts, after
 * `npm run build`; ALLOCATION_SECONDS per pass (8).
 */
const CONNECTIONS = 16;
const WARM_UP_SECONDS = 3;
const SECONDS = Number(process.env.ALLOCATION_SECONDS ?? 8);
/** Bytes between samples: small enough that a create's few kilobytes are seen many times a second. */
const SAMPLING_INTERVAL_BYTES = 1024;
const ROWS = 25;

type ProfileNode = HeapProfiler.SamplingHeapProfileNode;

async function main(): Promise<void> {
  const server = await openDatabaseServer();
  const workDir = await mkdtemp(join(tmpdir(), 'sheen-allocations-'));
  try {
    const inspectPort = await freePort();
    const service = await startService({
      databaseUrl: await server.createDatabase('allocations'),
      projectsRoot: join(workDir, 'projects'),
      role: 'api',
      nodeFlags: [`--inspect=127.0.0.1:${inspectPort}`],
    });
    try {
      await loadCreates({ baseUrl: service.baseUrl, connections: CONNECTIONS, seconds: WARM_UP_SECONDS });
      const inspector = await Inspector.open(inspectPort);
      try {
        await inspector.call('HeapProfiler.enable');
        for (const survivorsOnly of [false, true]) {
          await inspector.call('HeapProfiler.startSampling', {
            samplingInterval: SAMPLING_INTERVAL_BYTES,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: !survivorsOnly,
          });
          const { succeeded } = await loadCreates({
            baseUrl: service.baseUrl,
            connections: CONNECTIONS,
            seconds: SECONDS,
          });
          const { profile } = (await inspector.call(
            'HeapProfiler.stopSampling',
          )) as HeapProfiler.StopSamplingReturnType;
          const title = survivorsOnly ? 'surviving a scavenge' : 'allocated';
          process.stdout.write(`${report(title, profile.head, succeeded)}\n`);
        }
      } finally {
        inspector.close();
      }
    } finally {
      await service.stop();
    }
  } finally {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Bytes by group and by function, per create; Node's own and native frames go to the group of their
 * nearest caller of ours or a package's, marked `(through Node)`.
 */
function report(title: string, head: ProfileNode, creates: number): string {
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, caller: string | undefined): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const script = locateScript(url);
    const group = script?.group ?? (caller ? `${caller} (through Node)` : 'Node and V8');
    total += node.selfSize;
    add(groups, group, node.selfSize);
    add(functions, `${functionName || '(anonymous)'} ${script?.file ?? url}:${lineNumber + 1}`, node.selfSize);
    for (const child of node.children) walk(child, script?.group ?? caller);
  };
  walk(head, undefined);
  const top = (map: Map<string, number>): string =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, ROWS)
      .map(([key, bytes]) => `${kib(bytes / creates).padStart(8)} KiB  ${key}`)
      .join('\n');
  return `${title}: ${kib(total / creates)} KiB per create (${creates} creates)\n--- by group\n${top(groups)}\n--- by function\n${top(functions)}\n`;
}

function add(map: Map<string, number>, key: string, bytes: number): void {
  map.set(key, (map.get(key) ?? 0) + bytes);
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(2);
}

/** A client of the inspector protocol over the service's `--inspect` WebSocket. */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id!);
      if (message.error) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
    });
    // A service that exits mid-call would otherwise leave the script waiting for ever.
    socket.addEventListener('close', () => {
      for (const waiting of this.pending.values()) waiting.reject(new Error('the inspector closed'));
      this.pending.clear();
    });
  }

  static async open(port: number): Promise<Inspector> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve);
      socket.addEventListener('error', () => reject(new Error(`no inspector at port ${port}`)));
    });
    return new Inspector(socket);
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
