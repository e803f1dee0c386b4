import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * Builds the NextJS client (`npm run build`, after `nest build`): src/client/*.ts to
 * dist/client/*.js with declarations, self-contained in dist/client:
 *
 *   dist/client/worker-client.js, .d.ts, ...   the client (requires only its own files)
 *   dist/client/types/<path under src>.d.ts    the declarations of the DTOs its types come from
 *
 * The client imports the server's DTOs as types only, so its JavaScript loads nothing of the
 * server; its declarations need theirs, which are emitted (declarations only) under types/ and
 * referred to from there. The build fails if the client's JavaScript requires anything but its own
 * files, or if its declarations need any package or the Node typings: checked by compiling a
 * consumer of dist/client against the DOM library alone.
 */

const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');
const CLIENT_SRC = join(SRC, 'client');
/** dist/client, or the directory given as the first argument (the e2e test builds into a temporary one). */
const OUT = resolve(process.argv[2] ?? join(ROOT, 'dist', 'client'));
const TYPES = 'types';
const ENTRY = join(CLIENT_SRC, 'worker-client.ts');

class BuildError extends Error {}

function main(): void {
  const program = ts.createProgram({ rootNames: [ENTRY], options: compilerOptions() });
  const clientFiles = program
    .getSourceFiles()
    .filter((file) => isUnder(file.fileName, CLIENT_SRC) && !file.fileName.endsWith('.spec.ts'));
  failOn([
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...clientFiles.flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
      ...program.getDeclarationDiagnostics(file),
    ]),
  ]);

  const outputs = new Map<string, string>();
  const typeSources = new Set<string>();
  const pending: { source: string; declaration: string }[] = [];
  const emit = (file: ts.SourceFile, declarationsOnly: boolean): void => {
    const result = program.emit(
      file,
      (fileName, text) => {
        const relativeToSrc = relative(OUT, fileName);
        const isClient = isUnder(fileName, join(OUT, 'client'));
        const target = isClient ? join(OUT, relative(join(OUT, 'client'), fileName)) : join(OUT, TYPES, relativeToSrc);
        const output = isClient && fileName.endsWith('.d.ts') ? pointAtTypes(text) : text;
        outputs.set(target, output);
        if (fileName.endsWith('.d.ts')) pending.push({ source: file.fileName, declaration: text });
        if (isClient && fileName.endsWith('.js')) checkRequires(target, text);
      },
      undefined,
      declarationsOnly,
    );
    failOn(result.diagnostics);
  };
  clientFiles.forEach((file) => emit(file, false));

  // The declarations the client's declarations import, and theirs in turn.
  while (pending.length > 0) {
    const { source, declaration } = pending.pop()!;
    for (const { fileName: specifier } of ts.preProcessFile(declaration, true, true).importedFiles) {
      if (!specifier.startsWith('.')) {
        throw new BuildError(
          `${relative(ROOT, source)}: the client's types must not need a package, but need '${specifier}'`,
        );
      }
      const resolved = ts.resolveModuleName(specifier, source, program.getCompilerOptions(), ts.sys).resolvedModule;
      const target = resolved && program.getSourceFile(resolved.resolvedFileName);
      if (!target) throw new BuildError(`${relative(ROOT, source)}: cannot resolve '${specifier}'`);
      if (isUnder(target.fileName, CLIENT_SRC) || typeSources.has(target.fileName)) continue;
      typeSources.add(target.fileName);
      emit(target, true);
    }
  }

  if (process.argv[2] === undefined) rmSync(OUT, { recursive: true, force: true });
  else if (existsSync(OUT) && readdirSync(OUT).length > 0) throw new BuildError(`${OUT} is not empty`);
  for (const [fileName, text] of outputs) {
    mkdirSync(dirname(fileName), { recursive: true });
    writeFileSync(fileName, text);
  }
  checkSelfContained(join(OUT, 'worker-client.d.ts'));
  console.log(`client built: ${relative(ROOT, OUT)} (${outputs.size} files)`);
}

/** tsconfig.json's options, rooted at src/ so that src/client/x.ts comes out as <outDir>/client/x.js. */
function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => failOn([diagnostic]),
  });
  if (!parsed) throw new BuildError('cannot read tsconfig.json');
  return {
    ...parsed.options,
    rootDir: SRC,
    outDir: OUT,
    types: ['node'],
    declaration: true,
    declarationMap: false,
    sourceMap: false,
    // The declarations keep their doc comments, for the editor of whoever calls the client.
    removeComments: false,
    incremental: false,
    tsBuildInfoFile: undefined,
    noEmit: false,
  };
}

/** In the client's declarations, `../x` (src/x) becomes `./types/x`. */
function pointAtTypes(declaration: string): string {
  return declaration.replace(/((?:from|import)\s*\(?\s*)(["'])\.\.\//g, `$1$2./${TYPES}/`);
}

function checkRequires(fileName: string, javascript: string): void {
  for (const [, specifier] of javascript.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    if (!specifier.startsWith('./')) {
      throw new BuildError(
        `${relative(ROOT, fileName)} requires '${specifier}': the client may load only its own files`,
      );
    }
  }
}

/** Compiles a consumer of the declarations with the DOM library alone, as a NextJS app would see them. */
function checkSelfContained(declaration: string): void {
  const program = ts.createProgram({
    rootNames: [declaration],
    options: {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      types: [],
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      target: ts.ScriptTarget.ES2023,
    },
  });
  failOn(ts.getPreEmitDiagnostics(program));
  const outside = program
    .getSourceFiles()
    .map((file) => file.fileName)
    .filter((fileName) => !program.isSourceFileDefaultLibrary(program.getSourceFile(fileName)!))
    .filter((fileName) => !isUnder(resolve(fileName), OUT));
  if (outside.length > 0)
    throw new BuildError(`the client's declarations reach outside dist/client: ${outside.join(', ')}`);
}

function isUnder(fileName: string, directory: string): boolean {
  return resolve(fileName).startsWith(`${directory}${sep}`);
}

function failOn(diagnostics: readonly ts.Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  throw new BuildError(
    ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    }),
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`client build failed: ${error instanceof BuildError ? error.message : String(error)}\n`);
  process.exit(1);
}
