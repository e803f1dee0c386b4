import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What stops Node's rm in a tree a build wrote: a chain of folders deeper than PATH_MAX
 * (ENAMETOOLONG: Node removes by whole paths, even as root), and a folder the build made
 * unwritable (EACCES or EPERM, when the service and its builds run as one unprivileged user).
 */
const BEYOND_NODE = new Set(['ENAMETOOLONG', 'EACCES', 'EPERM']);

/** How Node's rm retries a folder something is still writing into (ENOTEMPTY, EBUSY). */
export interface RemoveTreeRetries {
  maxRetries?: number;
  retryDelay?: number;
}

/**
 * Removes a folder and everything in it, whatever a build left there; nothing when it is gone.
 * Node's rm does the common case; where it cannot, coreutils' chmod and rm do, which walk the tree
 * by descriptor (fts) and so reach any depth. Neither follows a symbolic link, and rm stays on the
 * folder's file system.
 */
export async function removeTree(path: string, retries: RemoveTreeRetries = {}): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true, ...retries });
  } catch (error) {
    if (!BEYOND_NODE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    // Folders the service owns but cannot enter or empty are opened up first (root needs none of
    // it); where that fails, rm's own error says what is left.
    if (process.getuid?.() !== 0) await run('chmod', ['-R', 'u+rwX', '--', path]).catch(() => undefined);
    await run('rm', ['-rf', '--one-file-system', '--', path]);
  }
}
