import { readFile } from 'node:fs/promises';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The value `read` gives first (anything but undefined), polled every 50 ms; rejects after `timeoutMs`. */
export async function eventually<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The pid a build command wrote to `path` (`echo $$ > …`), once it has. */
export function pidWrittenTo(path: string, timeoutMs: number): Promise<number> {
  return eventually(
    `a pid in ${path}`,
    () =>
      readFile(path, 'utf8').then(
        (pid) => (pid.trim() ? Number(pid) : undefined),
        () => undefined,
      ),
    timeoutMs,
  );
}

/** Resolves once the process is gone; rejects if it still runs after `timeoutMs`. */
export async function exited(pid: number, timeoutMs: number): Promise<void> {
  await eventually(`process ${pid} ended`, () => Promise.resolve(isAlive(pid) ? undefined : true), timeoutMs);
}
