import { writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

/** Writes `value` as JSON formatted as `npm run lint` (Prettier) expects it, so generated files pass as they are. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const options = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(JSON.stringify(value), { ...options, filepath: path }));
}
