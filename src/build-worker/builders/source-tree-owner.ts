import { constants, Dirent, Stats } from 'node:fs';
import { FileHandle, lstat, open, opendir } from 'node:fs/promises';

// Hands a build's source tree to the sandbox's user, by descriptor, so a build running in it meanwhile cannot steer root.

/** Deeper than this, a source tree is refused: each level holds two descriptors (the folder, its listing) while it is walked. */
const SOURCE_TREE_MAX_DEPTH = 256;

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** O_NONBLOCK: a FIFO swapped in after the type check must not hang the worker in open(). */
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Hands a tree to `uid` (the sandbox's user; group too). Normally only the folder itself changes:
 * what earlier sandboxed builds wrote is theirs already, and only files from before the sandbox (BUILD_SANDBOX=none) are not.
 *
 * A build may still be running in this tree (an attempt overlapping its retry), so nothing is
 * changed by path: every folder and file is opened without following symlinks, walked through
 * /proc/self/fd, checked with fstat and changed with fchown on that same descriptor. A swapped-in
 * symlink then fails to open instead of leading root out of the tree. Symlinks and special files
 * are left as they are (their owner grants nothing to the build), and a file with a second link
 * is refused rather than changed: its other name may be a host file.
 *
 * An earlier build may have left any number of entries: `limit` (what is left of the build's time)
 * ends the walk, checked at every entry.
 */
export async function handTreeTo(directory: string, uid: number, limit?: AbortSignal): Promise<void> {
  await handOverTree(directory, uid, '.', 0, limit);
}

async function handOverTree(
  directory: string | Buffer,
  uid: number,
  shown: string,
  depth: number,
  limit: AbortSignal | undefined,
): Promise<void> {
  if (depth >= SOURCE_TREE_MAX_DEPTH)
    throw new Error(`the source tree is deeper than ${SOURCE_TREE_MAX_DEPTH} folders`);
  const handle = await open(directory, DIRECTORY_FLAGS);
  try {
    await handOver(handle, await handle.stat(), uid);
    const here = `/proc/self/fd/${handle.fd}/`;
    for await (const entry of entriesOf(here)) {
      limit?.throwIfAborted();
      const path = Buffer.concat([Buffer.from(here), entry.name]);
      const inTree = `${shown}/${entry.name.toString()}`;
      if (entry.isDirectory()) await handOverTree(path, uid, inTree, depth + 1, limit);
      else if (entry.isFile()) await chownFile(path, uid, inTree);
    }
  } finally {
    await handle.close();
  }
}

/**
 * A folder's entries a few at a time, not all at once (an earlier build may have left millions),
 * with their names as the bytes they are: a name that is not UTF-8 would not survive a string's
 * round trip. Node's opendir takes `encoding: 'buffer'`, which its typings leave out.
 */
async function* entriesOf(path: string): AsyncIterable<Dirent<Buffer>> {
  const directory = await opendir(path, { encoding: 'buffer' as BufferEncoding });
  yield* directory as AsyncIterable<Dirent> as unknown as AsyncIterable<Dirent<Buffer>>;
}

async function chownFile(path: Buffer, uid: number, shown: string): Promise<void> {
  // Most files are the build's already: those are not opened. A swap after this look only leaves a file unchanged.
  if (owned(await lstat(path), uid)) return;
  const handle = await open(path, FILE_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || owned(stats, uid)) return;
    if (stats.nlink !== 1)
      throw new Error(`${shown} in the source folder is a hard link, which is never handed to a build`);
    await handOver(handle, stats, uid);
  } finally {
    await handle.close();
  }
}

function owned(stats: Stats, uid: number): boolean {
  return stats.uid === uid && stats.gid === uid;
}

async function handOver(handle: FileHandle, stats: Stats, uid: number): Promise<void> {
  if (!owned(stats, uid)) await handle.chown(uid, uid);
}
