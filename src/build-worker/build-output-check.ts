import type { Stats } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildFailedError } from './builders/builder';
import type { OutputLimits } from './builders/builders.config';

/**
 * Checks a build's output before it is published: only folders and regular files with a single
 * link, within the limits. Anything else fails the build with a reason its owner can act on. A
 * link, FIFO, device or socket could make a preview serve something outside the output or hang
 * whoever opens it; a hard link may name any file of the server the build could reach. Nothing is
 * followed: the output folder itself must be a real folder, and every entry is judged by lstat.
 */
export async function checkPublishableOutput(outputDir: string, limits: OutputLimits): Promise<void> {
  const root = await lstat(outputDir).catch(() => undefined);
  if (!root?.isDirectory()) {
    throw new BuildFailedError('failed', 'the build left no output folder, or replaced it by something else');
  }
  try {
    await checkTree(outputDir, limits);
  } catch (error) {
    if (error instanceof BuildFailedError) throw error;
    // A folder that went while it was read: something still ran in it after the build ended.
    throw new BuildFailedError('failed', 'the build output changed while it was being checked');
  }
}

async function checkTree(outputDir: string, limits: OutputLimits): Promise<void> {
  let entries = 0;
  let bytes = 0;
  const folders = [''];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for await (const entry of await opendir(join(outputDir, folder))) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      entries += 1;
      if (entries > limits.maxFiles) {
        throw new BuildFailedError('failed', `the build output holds more than ${limits.maxFiles} files and folders`);
      }
      if (entry.isDirectory()) {
        folders.push(path);
        continue;
      }
      const stats = await lstat(join(outputDir, path));
      if (!stats.isFile()) throw unpublishable(path, kindOf(stats));
      if (stats.nlink !== 1) throw unpublishable(path, 'a hard link');
      bytes += stats.size;
      if (bytes > limits.maxBytes) {
        throw new BuildFailedError('failed', `the build output is larger than ${limits.maxBytes} bytes`);
      }
    }
  }
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'a device';
  return 'something that is not a regular file';
}

function unpublishable(path: string, kind: string): BuildFailedError {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
  return new BuildFailedError(
    'failed',
    `the build output holds ${kind} at ${shown}: only regular files and folders are published`,
  );
}
