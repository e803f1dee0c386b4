import { mkdir, readFile, rmdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Builder, BuildContext, BuildFailedError } from './builder';
import { safeDetail, serverPaths } from './build-failure-detail';
import { errorMessage, prepareOutputDirectory, projectDirectoryExists, writeFileAtomically } from './build-files';
import { STARTER_PATHS, starterFiles } from './framework-starters';
import { renderPreviewPage } from './preview-page';

export interface TemplateBuilderOptions {
  readonly timeoutMs: number;
  /** PROJECTS_ROOT, kept out of failure details. */
  readonly projectsRoot: string;
}

/** Lists the files the last template build wrote into `source/`, so a change of framework removes the old ones. */
export const STARTER_MANIFEST = '.sheen-starter.json';

/**
 * The built-in builder: writes a starter for the project's framework (package.json, its code, the
 * prompt in a README and a JSON data file) into `source/`, and a static preview page into the
 * build's output folder. Every file is written atomically; user text is escaped for HTML and never
 * written into code.
 */
export class TemplateBuilder implements Builder {
  constructor(private readonly options: TemplateBuilderOptions) {}

  async build(context: BuildContext, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.options.timeoutMs;
    // Writing a few small files cannot hang for long, so stopping between writes is enough.
    const checkpoint = (): void => {
      if (signal?.aborted) throw BuildFailedError.stopped();
      if (Date.now() > deadline) throw BuildFailedError.timedOut(this.options.timeoutMs);
    };
    try {
      checkpoint();
      if (!(await projectDirectoryExists(context.sourceDir, context.outputDir))) {
        throw new BuildFailedError('failed', "the project's directory is missing");
      }
      await this.writeStarter(context, checkpoint);
      checkpoint();
      await prepareOutputDirectory(context.outputDir);
      await writeFileAtomically(join(context.outputDir, 'index.html'), renderPreviewPage(context));
      context.log.note('the preview page is written');
      checkpoint();
    } catch (error) {
      if (error instanceof BuildFailedError) throw error;
      const paths = serverPaths(dirname(context.sourceDir), this.options.projectsRoot);
      const detail = safeDetail(`the starter could not be written: ${errorMessage(error)}`, paths);
      throw new BuildFailedError('failed', detail);
    }
  }

  private async writeStarter(context: BuildContext, checkpoint: () => void): Promise<void> {
    const { sourceDir } = context;
    const files = starterFiles({ name: context.projectName, prompt: context.prompt, framework: context.framework });
    const previous = await readManifest(sourceDir);
    context.log.note(`writing the ${context.framework} starter: ${files.length} files`);
    for (const file of files) {
      checkpoint();
      await makeDirectoriesUnder(sourceDir, dirname(file.path));
      await writeFileAtomically(join(sourceDir, file.path), file.content);
    }
    // Stale files go before the manifest forgets them, so a crash in between only repeats the removal.
    const written = new Set(files.map((file) => file.path));
    const stale = previous.filter((path) => !written.has(path));
    if (stale.length > 0) context.log.note(`removing ${stale.length} files of the previous starter`);
    for (const path of stale) {
      await rm(join(sourceDir, path), { force: true });
      await removeEmptyDirectories(sourceDir, dirname(path));
    }
    const manifest = { framework: context.framework, files: [...written] };
    await writeFileAtomically(join(sourceDir, STARTER_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

/** The starter files an earlier build wrote. Only known starter paths count: the file lives among the project's files. */
async function readManifest(sourceDir: string): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readFile(join(sourceDir, STARTER_MANIFEST), 'utf8')) as { files?: unknown };
    const files = Array.isArray(manifest.files) ? (manifest.files as unknown[]) : [];
    return files.filter((path): path is string => typeof path === 'string' && STARTER_PATHS.has(path));
  } catch {
    return [];
  }
}

/** Creates `relative` folder by folder under `base`, which must exist (unlike a recursive mkdir, which would recreate it). */
async function makeDirectoriesUnder(base: string, relative: string): Promise<void> {
  if (relative === '.') return;
  let current = base;
  for (const segment of relative.split('/')) {
    current = join(current, segment);
    await mkdir(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** Removes `relative` and its parents under `base` while they are empty. */
async function removeEmptyDirectories(base: string, relative: string): Promise<void> {
  for (let current = relative; current !== '.'; current = dirname(current)) {
    const removed = await rmdir(join(base, current)).then(
      () => true,
      () => false,
    );
    if (!removed) return;
  }
}
