import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks; 100 per second on every common configuration. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no
 * /proc. Unlike a wall-clock profile, this does not count time the process waited for a core, so it
 * stays comparable on a busy machine.
 */
export function cpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields && (Number(fields.utime) + Number(fields.stime)) / TICKS_PER_SECOND;
}

/**
 * CPU seconds a process and all its children have used so far: its own, its children's that ended
 * (the kernel adds them to the parent's once reaped), and those of the children still running. For
 * a PostgreSQL server, whose every backend and background process is a child of the postmaster.
 */
export function processTreeCpuSeconds(pid: number): number | undefined {
  const own = statFields(pid);
  if (!own) return undefined;
  let ticks = Number(own.utime) + Number(own.stime) + Number(own.cutime) + Number(own.cstime);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = statFields(Number(entry));
    if (child?.ppid === String(pid)) ticks += Number(child.utime) + Number(child.stime);
  }
  return ticks / TICKS_PER_SECOND;
}

/** The parent of a process, from /proc; undefined where there is no such process. */
export function parentPid(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields && Number(fields.ppid);
}

function statFields(
  pid: number,
): { ppid: string; utime: string; stime: string; cutime: string; cstime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: fields[1], utime: fields[11], stime: fields[12], cutime: fields[13], cstime: fields[14] };
}
