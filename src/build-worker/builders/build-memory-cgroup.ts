import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files of a memory cgroup that differ between the kernel's two cgroup interfaces. */
interface MemoryFiles {
  /** The limit on the cgroup's memory, and (if the kernel accounts swap) on memory and swap together. */
  readonly limit: string;
  readonly swapLimit?: string;
  /** The file that counts the cgroup's OOM kills, and the name of that count in it. */
  readonly events: string;
}

const V1: MemoryFiles = {
  limit: 'memory.limit_in_bytes',
  swapLimit: 'memory.memsw.limit_in_bytes',
  events: 'memory.oom_control',
};
const CGROUP_PREFIX = 'sheen-build-';
const ABANDONED_AFTER_MS = 60_000;

const V2: MemoryFiles = { limit: 'memory.max', swapLimit: 'memory.swap.max', events: 'memory.events' };

/**
 * Where builds' memory can be limited: a memory cgroup of this process's own in which it may make
 * child cgroups, with the kernel's v1 memory controller or a v2 hierarchy that delegates `memory` to
 * this process's cgroup. Elsewhere (no such cgroup, or no right to write it) there is none, and the
 * worker says so at start: the limit holds "where the kernel allows".
 */
export class MemoryCgroups {
  private constructor(
    private readonly parent: string,
    private readonly files: MemoryFiles,
  ) {}

  /** This process's memory cgroup, if it may make limited children in it. */
  static detect(procSelfCgroup = '/proc/self/cgroup', root = '/sys/fs/cgroup'): MemoryCgroups | undefined {
    let lines: string[];
    try {
      lines = readFileSync(procSelfCgroup, 'utf8').trim().split('\n');
    } catch {
      return undefined;
    }
    const v1 = lines
      .map((line) => line.split(':'))
      .find(([, controllers]) => controllers.split(',').includes('memory'));
    const candidates: [string, MemoryFiles][] = [];
    if (v1) candidates.push([join(root, 'memory', v1[2]), V1]);
    const v2 = lines.find((line) => line.startsWith('0::'));
    if (v2) {
      for (const mount of [root, join(root, 'unified')]) {
        const dir = join(mount, v2.slice(3));
        if (readable(join(dir, 'cgroup.subtree_control')).split(/\s+/).includes('memory')) candidates.push([dir, V2]);
      }
    }
    const found = candidates
      .map(([dir, files]) => new MemoryCgroups(dir, files))
      .find((cgroups) => cgroups.canCreate());
    found?.removeAbandoned();
    return found;
  }

  /** A new cgroup that holds its processes to `maxBytes` of memory (and no swap beyond it). */
  create(maxBytes: number): BuildCgroup {
    const dir = join(this.parent, `${CGROUP_PREFIX}${randomUUID()}`);
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, this.files.limit), String(maxBytes));
      // v1 takes memory and swap together (at least the memory limit); v2 takes the swap alone.
      const swapLimit = this.files.swapLimit && join(dir, this.files.swapLimit);
      if (swapLimit && existsSync(swapLimit)) writeFileSync(swapLimit, this.files === V1 ? String(maxBytes) : '0');
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    return new BuildCgroup(dir, this.files, maxBytes);
  }

  /**
   * Removes the empty cgroups that workers which died mid-build left (the kernel refuses a cgroup
   * that still holds a process). One made in the last minute may be another worker's, about to be
   * joined, so it stays.
   */
  private removeAbandoned(now = Date.now()): void {
    for (const name of readdirSync(this.parent)) {
      if (!name.startsWith(CGROUP_PREFIX)) continue;
      const dir = join(this.parent, name);
      try {
        if (now - statSync(dir).mtimeMs > ABANDONED_AFTER_MS) rmdirSync(dir);
      } catch {
        // Still in use, or gone already.
      }
    }
  }

  private canCreate(): boolean {
    try {
      this.create(64 * 1024 * 1024).remove();
      return true;
    } catch {
      return false;
    }
  }
}

/** One build attempt's memory cgroup. */
export class BuildCgroup {
  constructor(
    readonly dir: string,
    private readonly files: MemoryFiles,
    readonly maxBytes: number,
  ) {}

  /**
   * `file args…` run so that its first process joins the cgroup before it execs: every process it
   * starts is then inside, and none ran outside first.
   */
  wrap(file: string, args: readonly string[]): { file: string; args: string[] } {
    return {
      file: '/bin/sh',
      args: ['-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', this.dir, file, ...args],
    };
  }

  /** Whether the kernel killed a process of the cgroup for going over its limit. */
  ranOutOfMemory(): boolean {
    const counts = readable(join(this.dir, this.files.events));
    const oomKills = /^oom_kill (\d+)$/m.exec(counts);
    return oomKills !== null && Number(oomKills[1]) > 0;
  }

  /** Removes the cgroup once its processes are gone (the kernel refuses while any is left). */
  remove(): void {
    rmdirSync(this.dir);
  }
}

function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
