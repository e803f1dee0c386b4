import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removeTree } from '../../workspace/remove-tree';

/**
 * Writes the file under a temporary name beside it, flushes it and renames it into place, so a
 * reader (or a process that crashed halfway) sees the old content or the new one, never a part.
 */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', 0o644);
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // The original error is the one to report; the temporary file may not even exist (ENOTDIR).
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Gives the build an empty output folder: whatever an earlier attempt of the same build left there
 * goes. Not recursive: when the project's `builds/` folder is gone (the project was deleted), this
 * fails instead of bringing the project's directory back as an orphan.
 */
export async function prepareOutputDirectory(outputDir: string): Promise<void> {
  await removeTree(outputDir);
  await mkdir(outputDir);
}

/**
 * Whether the project's `source/` and `builds/` folders are there. A project deleted while its build
 * waited fails the build, rather than coming back as an orphan directory.
 */
export async function projectDirectoryExists(sourceDir: string, outputDir: string): Promise<boolean> {
  for (const directory of [sourceDir, dirname(outputDir)]) {
    const isDirectory = await stat(directory).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (!isDirectory) return false;
  }
  return true;
}

/** An error's message, also for errors from another realm (Node's, seen from Jest's VM) that fail `instanceof Error`. */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
