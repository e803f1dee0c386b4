import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folder pairs made per reading: enough to average over, and a few tens of milliseconds' work. */
const PAIRS = 300;

/**
 * What making one create's folders costs on this file system now, in CPU µs: a new user's folder
 * and a project's folder in it, as the service and the plan design make them. It is a reading of
 * the machine's state, like the load average: ext4 without a journal (this machine kind's) passes
 * over every inode freed in the last minute or more before it reuses one, so after a mass deletion
 * (the last run's clean-up, a test suite's) the same mkdir costs two to three times as much for
 * minutes (docs/benchmarks.md). The folders stay in `parent` until the run's work folder goes.
 */
export function describeFolderCost(parent: string): string {
  const started = process.cpuUsage();
  for (let pair = 0; pair < PAIRS; pair++) mkdirSync(join(parent, randomUUID(), randomUUID()), { recursive: true });
  const { user, system } = process.cpuUsage(started);
  return `a new user's project folders (two mkdirs): ${((user + system) / PAIRS).toFixed(0)} µs of CPU`;
}
