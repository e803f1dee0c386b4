import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * A shell script that makes, at the path in its first argument, a chain of folders deeper than
 * PATH_MAX (4,096 bytes): what a hostile build can leave behind. Made in three pieces moved into
 * one another, since no single path to its bottom can be named; `sh` cannot `cd` that deep either.
 */
export const FOLDER_CHAIN_BEYOND_PATH_MAX = [
  'piece=$(printf "d/%.0s" $(seq 1 700))',
  'mkdir -p "$1.a/$piece" "$1.b/$piece" "$1.c/$piece"',
  'mv "$1.a" "$1.b/$piece" && mv "$1.b" "$1.c/$piece" && mv "$1.c" "$1"',
].join('\n');

/** Makes such a chain at `path` (its parent must exist). */
export async function makeFolderChainBeyondPathMax(path: string): Promise<void> {
  await promisify(execFile)('sh', ['-c', FOLDER_CHAIN_BEYOND_PATH_MAX, 'sh', path]);
}
