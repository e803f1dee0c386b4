// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildQueueConfig } from '../../src/build-queue/build-queue.config';
import type { Environment } from '../../src/config/config-from-env';
import { BUILDER, BuildContext, Builder } from '../../src/build-worker/builders/builder';
import { createBuilder } from '../../src/build-worker/builders/builder.factory';
import { BuildersConfig } from '../../src/build-worker/builders/builders.config';
import { BuildersModule } from '../../src/build-worker/builders/builders.module';
import { CommandBuilder } from '../../src/build-worker/builders/command-builder';
import { STARTER_MANIFEST, TemplateBuilder } from '../../src/build-worker/builders/template-builder';
import { newUlid } from '../../src/ids/ids';
import { Framework, FRAMEWORKS } from '../../src/projects/framework';
import { WorkspaceConfig } from '../../src/workspace/workspace.config';
import { ProjectDirectoriesService } from '../../src/workspace/project-directories.service';
import { configError } from '../support/config-errors';
import { buildFailure } from '../support/build-results';
import { listTree } from '../support/persisted-state';
import { RecordedBuildLog } from '../support/recorded-build-log';
import { DatabaseConnection } from '../../src/database/database-connection';
import { SignatureConfig } from '../../src/http/signature.config';
import { ServiceSecrets } from '../../src/build-worker/builders/service-secrets';

/** A value the command builder is told is a secret of the service's. */
const SECRET = 'service-secret-0123456789';
const NO_SECRETS = new ServiceSecrets([]);

/** What each framework's starter must contain: a dependency that makes it that framework, and its entry file. */
const EXPECTED: Record<Framework, { dependency: string; tool: string; entry: string; files: string[] }> = {
  react: {
    dependency: 'react',
    tool: 'vite',
    entry: 'src/main.jsx',
    files: ['index.html', 'vite.config.js', 'src/main.jsx', 'src/project.json'],
  },
  nextjs: {
    dependency: 'next',
    tool: 'next',
    entry: 'app/page.jsx',
    files: ['app/layout.jsx', 'app/page.jsx', 'app/project.json'],
  },
  vue: {
    dependency: 'vue',
    tool: 'vite',
    entry: 'src/App.vue',
    files: ['index.html', 'vite.config.js', 'src/main.js', 'src/App.vue', 'src/project.json'],
  },
  svelte: {
    dependency: 'svelte',
    tool: 'vite',
    entry: 'src/App.svelte',
    files: ['index.html', 'vite.config.js', 'src/main.js', 'src/App.svelte', 'src/project.json'],
  },
  angular: {
    dependency: '@angular/core',
    tool: 'ng',
    entry: 'src/main.ts',
    files: ['angular.json', 'tsconfig.json', 'src/index.html', 'src/main.ts', 'src/project.json'],
  },
  astro: {
    dependency: 'astro',
    tool: 'astro',
    entry: 'src/pages/index.astro',
    files: ['src/pages/index.astro', 'src/project.json'],
  },
};

/** The files (not folders) under `directory`, relative to it and sorted. */
async function listFiles(directory: string): Promise<string[]> {
  return (await listTree(directory)).filter((path) => statSync(join(directory, path)).isFile()).sort();
}

const OUTPUT_LIMITS = { maxBytes: 1024 * 1024, maxFiles: 100 };

/** These tests run the command as the service does with BUILD_SANDBOX=none; build-sandbox.e2e-spec.ts runs it sandboxed. */
const NO_SANDBOX = { kind: 'none', network: false, readOnlyPaths: [], memoryMaxBytes: 4 * 1024 ** 3 } as const;

/** Quotes a value for /bin/sh: the tests build BUILD_COMMAND as an operator would. */
const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

const NODE = shellQuote(process.execPath);

interface PackageJson {
  name: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Whether any process of the group is left (zombies count until init reaps them, hence the wait). */
async function groupEnds(pgid: number, withinMs = 5000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw error;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Builders', () => {
  let sandbox: string;
  let root: string;
  let projectDir: string;
  let context: BuildContext;
  let pwnedMarker: string;

  /** A context for another build of the same project. */
  const nextBuild = (overrides: Partial<BuildContext> = {}): BuildContext => {
    const buildId = newUlid();
    return { ...context, buildId, versionId: newUlid(), outputDir: join(projectDir, 'builds', buildId), ...overrides };
  };

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'sheen-builders-'));
    root = join(sandbox, 'projects');
    const [userId, projectId] = [randomUUID(), randomUUID()];
    // As BuildRunnerService hands a project over to a builder: its directory, and the folders of its builds.
    const workspace = new ProjectDirectoriesService({ projectsRoot: root });
    projectDir = await workspace.createProjectDirectory(userId, projectId);
    await workspace.ensureBuildLayout(userId, projectId);
    const buildId = newUlid();
    context = {
      projectId,
      buildId,
      versionId: newUlid(),
      userId,
      framework: 'react',
      prompt: 'A todo list with due dates',
      projectName: 'My Todo App',
      sourceDir: join(projectDir, 'source'),
      outputDir: join(projectDir, 'builds', buildId),
      log: new RecordedBuildLog(),
    };
    pwnedMarker = join(tmpdir(), `pwned-${randomBytes(8).toString('hex')}`);
  });

  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
    await rm(pwnedMarker, { force: true });
  });

  /** Command substitution, backticks, quotes and separators, each of which would create the marker if a shell ran it. */
  const hostilePrompt = (): string =>
    [
      `$(touch ${pwnedMarker})`,
      `\`touch ${pwnedMarker}\``,
      `"; touch ${pwnedMarker}; echo "`,
      `'; touch ${pwnedMarker}; echo '`,
      `| touch ${pwnedMarker} && $HOME \\ %s \n second line`,
    ].join(' ');

  describe('BuildersConfig', () => {
    const queue = BuildQueueConfig.fromEnv({ BUILD_TIMEOUT_MS: '5000' });
    const load = (env: Environment) => BuildersConfig.fromEnv(env, queue);

    it('defaults to the template builder with the queue’s BUILD_TIMEOUT_MS', () => {
      expect({ ...load({}) }).toEqual({
        builder: 'template',
        timeoutMs: 5000,
        output: { maxBytes: 104_857_600, maxFiles: 10_000 },
        sandbox: { kind: 'bubblewrap', network: false, readOnlyPaths: [], memoryMaxBytes: 4 * 1024 ** 3 },
        command: undefined,
      });
      expect(BuildersConfig.fromEnv({}, new BuildQueueConfig()).timeoutMs).toBe(600_000);
    });

    it('reads BUILDER=command with its BUILD_COMMAND', () => {
      expect({ ...load({ BUILDER: 'command', BUILD_COMMAND: ' ./scripts/build.sh --ci ' }) }).toEqual({
        builder: 'command',
        timeoutMs: 5000,
        output: { maxBytes: 104_857_600, maxFiles: 10_000 },
        sandbox: { kind: 'bubblewrap', network: false, readOnlyPaths: [], memoryMaxBytes: 4 * 1024 ** 3 },
        command: './scripts/build.sh --ci',
      });
    });

    it('ignores BUILD_COMMAND for the template builder', () => {
      expect(load({ BUILDER: 'template', BUILD_COMMAND: 'make' }).command).toBeUndefined();
    });

    it.each([{}, { BUILD_COMMAND: '' }, { BUILD_COMMAND: '   ' }])(
      'refuses BUILDER=command without a command (%j), naming BUILD_COMMAND',
      (extra) => {
        expect(configError(load, { BUILDER: 'command', ...extra }).problems).toEqual([
          'BUILD_COMMAND="": must be set when BUILDER=command',
        ]);
      },
    );

    it('reads the sandbox: BUILD_SANDBOX, BUILD_NETWORK, the comma-separated BUILD_READ_ONLY_PATHS and BUILD_MEMORY_MAX_BYTES', () => {
      const env = {
        BUILDER: 'command',
        BUILD_COMMAND: 'make',
        BUILD_SANDBOX: 'none',
        BUILD_NETWORK: 'on',
        BUILD_READ_ONLY_PATHS: ' /opt/node , /srv/tools,',
        BUILD_MEMORY_MAX_BYTES: '536870912',
      };
      expect(load(env).sandbox).toEqual({
        kind: 'none',
        network: true,
        readOnlyPaths: ['/opt/node', '/srv/tools'],
        memoryMaxBytes: 536_870_912,
      });
    });

    it.each([
      [{ BUILD_SANDBOX: 'docker' }, 'BUILD_SANDBOX="docker": must be one of: bubblewrap, none'],
      [{ BUILD_NETWORK: 'yes' }, 'BUILD_NETWORK="yes": must be one of: on, off'],
      [{ BUILD_MEMORY_MAX_BYTES: '1048576' }, 'BUILD_MEMORY_MAX_BYTES="1048576": must be at least 16777216 (16 MiB)'],
      [{ BUILD_MEMORY_MAX_BYTES: '2G' }, 'BUILD_MEMORY_MAX_BYTES="2G": must be a decimal integer'],
      [
        { BUILD_READ_ONLY_PATHS: '/opt/node,tools' },
        'BUILD_READ_ONLY_PATHS="/opt/node,tools": each comma-separated path must be absolute',
      ],
      [
        { NODE_ENV: 'production', BUILD_SANDBOX: 'none' },
        'BUILD_SANDBOX="none": must be bubblewrap when NODE_ENV=production and BUILDER=command',
      ],
    ])('refuses %j', (extra, problem) => {
      expect(configError(load, { BUILDER: 'command', BUILD_COMMAND: 'make', ...extra }).problems).toEqual([problem]);
    });

    it('lets production run the template builder, which needs no sandbox, with BUILD_SANDBOX=none', () => {
      expect(load({ NODE_ENV: 'production', BUILD_SANDBOX: 'none' }).sandbox.kind).toBe('none');
    });

    it.each(['other', 'Command', 'TEMPLATE', 'shell'])('refuses BUILDER=%s', (value) => {
      expect(configError(load, { BUILDER: value }).problems).toEqual([
        `BUILDER=${JSON.stringify(value)}: must be one of: template, command`,
      ]);
    });
  });

  describe('createBuilder and BuildersModule', () => {
    it('picks the builder BUILDER names', () => {
      const workspace = { projectsRoot: root };
      const create = (config: BuildersConfig) => createBuilder(config, workspace, NO_SECRETS);
      expect(create(new BuildersConfig('template', 1000, OUTPUT_LIMITS, NO_SANDBOX))).toBeInstanceOf(TemplateBuilder);
      expect(create(new BuildersConfig('command', 1000, OUTPUT_LIMITS, NO_SANDBOX, 'true'))).toBeInstanceOf(
        CommandBuilder,
      );
      expect(() => create(new BuildersConfig('command', 1000, OUTPUT_LIMITS, NO_SANDBOX))).toThrow('BUILD_COMMAND');
    });

    it.each([
      ['template', undefined, TemplateBuilder],
      ['command', 'true', CommandBuilder],
    ] as const)('provides the %s builder under the BUILDER token', async (kind, command, type) => {
      @Module({})
      class TestConfigModule {}
      const providers = [
        { provide: BuildersConfig, useValue: new BuildersConfig(kind, 1000, OUTPUT_LIMITS, NO_SANDBOX, command) },
        { provide: WorkspaceConfig, useValue: { projectsRoot: root } },
        { provide: SignatureConfig, useValue: { secrets: [SECRET] } },
        { provide: DatabaseConnection, useValue: new DatabaseConnection('postgres://sheen:db-password@localhost/db') },
      ];
      const moduleRef = await Test.createTestingModule({
        imports: [
          { module: TestConfigModule, global: true, providers, exports: providers.map((p) => p.provide) },
          BuildersModule,
        ],
      }).compile();

      const builder = moduleRef.get<Builder>(BUILDER);

      expect(builder).toBeInstanceOf(type);
      expect(moduleRef.get(ServiceSecrets).values).toEqual([SECRET, 'db-password']);
      await builder.build(context);
      expect(existsSync(context.outputDir)).toBe(true);
      await moduleRef.close();
    });
  });

  describe('TemplateBuilder', () => {
    let builder: TemplateBuilder;

    beforeEach(() => {
      builder = new TemplateBuilder({ timeoutMs: 60_000, projectsRoot: root });
    });

    const readSource = (path: string) => readFile(join(context.sourceDir, path), 'utf8');

    it.each(FRAMEWORKS)(
      'writes a %s starter into source/ and a preview into the build’s own folder',
      async (framework) => {
        const log = new RecordedBuildLog();
        context = { ...context, framework, log };
        const expected = EXPECTED[framework];

        await builder.build(context);

        const files = 2 + expected.files.length;
        expect(log.notes).toEqual([`writing the ${framework} starter: ${files} files`, 'the preview page is written']);

        expect(await listFiles(context.sourceDir)).toEqual(
          ['package.json', 'README.md', STARTER_MANIFEST, ...expected.files].sort(),
        );

        const packageJson = JSON.parse(await readSource('package.json')) as PackageJson;
        expect(packageJson.name).toBe('my-todo-app');
        expect({ ...packageJson.dependencies, ...packageJson.devDependencies }).toHaveProperty([expected.dependency]);
        expect(packageJson.scripts.build).toMatch(new RegExp(`^${expected.tool} build$`));
        expect(packageJson.scripts.dev ?? packageJson.scripts.start).toBeDefined();

        const dataFile = expected.files.find((path) => path.endsWith('project.json'))!;
        expect(JSON.parse(await readSource(dataFile))).toEqual({
          name: 'My Todo App',
          framework,
          prompt: 'A todo list with due dates',
        });
        expect(await readSource(expected.entry)).toMatch(/import project from '\.\.?\/project\.json'/);
        expect(await readSource('README.md')).toContain('A todo list with due dates');

        expect(await listTree(join(projectDir, 'builds'))).toEqual([context.buildId, `${context.buildId}/index.html`]);
        const html = await readFile(join(context.outputDir, 'index.html'), 'utf8');
        expect(html).toContain('<h1>My Todo App</h1>');
        expect(html).toContain('A todo list with due dates');
        expect(html).toContain(`<span class="framework">${framework}</span>`);
        expect(html).toContain(context.versionId);
      },
    );

    it.each(FRAMEWORKS)(
      'writes the same %s code whatever the name and prompt: user text stays in data',
      async (framework) => {
        const code = async (name: string, prompt: string): Promise<Record<string, string>> => {
          await builder.build(nextBuild({ framework, projectName: name, prompt }));
          const files = EXPECTED[framework].files.filter((path) => !path.endsWith('project.json'));
          const contents = await Promise.all(files.map((path) => readSource(path)));
          return Object.fromEntries(files.map((path, index) => [path, contents[index]]));
        };

        const plain = await code('Plain', 'plain');
        const hostile = await code('</script><script>alert(1)</script>{{x}}{x}---', hostilePrompt());

        expect(hostile).toEqual(plain);
        expect(existsSync(pwnedMarker)).toBe(false);
      },
    );

    it('escapes the name and prompt in the preview page', async () => {
      context = {
        ...context,
        projectName: '<script>alert("name")</script>',
        prompt: `<img src=x onerror=alert(1)> & "double" 'single' </p><script>alert(2)</script>`,
      };

      await builder.build(context);

      const html = await readFile(join(context.outputDir, 'index.html'), 'utf8');
      expect(html).not.toMatch(/<script|<img/i);
      expect(html).toContain('<h1>&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;</h1>');
      expect(html).toContain(
        '&lt;img src=x onerror=alert(1)&gt; &amp; &quot;double&quot; &#39;single&#39; &lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
      );
      expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    });

    it('stores a prompt with quotes, $(...) and backticks verbatim and never runs it', async () => {
      const prompt = `${hostilePrompt()}\n\`\`\`\nfenced\n\`\`\`\n\`\`\`\`four`;
      context = { ...context, prompt, projectName: '$(whoami) `id`' };

      await builder.build(context);

      expect(JSON.parse(await readSource('src/project.json'))).toEqual({
        name: '$(whoami) `id`',
        framework: 'react',
        prompt,
      });
      const readme = await readSource('README.md');
      expect(readme).toContain(`\`\`\`\`\`text\n${prompt}\n\`\`\`\`\`\n`);
      expect(readme).toMatch(/^# \$\(whoami\) `id`\n/);
      expect(existsSync(pwnedMarker)).toBe(false);
    });

    it('gives every build its own output folder and keeps the earlier ones', async () => {
      const first = context;
      const second = nextBuild({ prompt: 'second prompt' });

      await builder.build(first);
      await builder.build(second);

      expect((await listTree(join(projectDir, 'builds'))).sort()).toEqual(
        [first.buildId, `${first.buildId}/index.html`, second.buildId, `${second.buildId}/index.html`].sort(),
      );
      expect(await readFile(join(first.outputDir, 'index.html'), 'utf8')).toContain('A todo list with due dates');
      expect(await readFile(join(second.outputDir, 'index.html'), 'utf8')).toContain('second prompt');
    });

    it('starts a retried build from an empty output folder', async () => {
      await mkdir(context.outputDir);
      await writeFile(join(context.outputDir, 'stale.js'), 'from a failed attempt');

      await builder.build(context);

      expect(await listTree(context.outputDir)).toEqual(['index.html']);
    });

    it('removes the files of the previous framework’s starter, and nothing else, when the framework changes', async () => {
      await builder.build({ ...context, framework: 'nextjs' });
      await writeFile(join(context.sourceDir, 'notes.txt'), 'mine');
      await builder.build(nextBuild({ framework: 'svelte' }));
      await builder.build(nextBuild({ framework: 'react' }));

      expect(await listFiles(context.sourceDir)).toEqual(
        ['README.md', STARTER_MANIFEST, 'notes.txt', 'package.json', ...EXPECTED.react.files].sort(),
      );
      expect(existsSync(join(context.sourceDir, 'app'))).toBe(false);
      expect(await readSource('vite.config.js')).toContain('@vitejs/plugin-react');
    });

    it('removes only known starter paths listed in its manifest', async () => {
      const outside = join(sandbox, 'outside.txt');
      await writeFile(outside, 'keep');
      await writeFile(join(context.sourceDir, 'keep.txt'), 'keep');
      await writeFile(
        join(context.sourceDir, STARTER_MANIFEST),
        JSON.stringify({ files: ['../../../../outside.txt', 'keep.txt', '/etc/hostname', 42] }),
      );

      await builder.build(context);

      expect(await readFile(outside, 'utf8')).toBe('keep');
      expect(await readSource('keep.txt')).toBe('keep');
    });

    it('replaces files atomically: a reader sees the old or the new content, never a part', async () => {
      const prompts = ['a'.repeat(300_000), 'b'.repeat(200_000)];
      const readmes: string[] = [];
      for (const prompt of prompts) {
        await builder.build(nextBuild({ prompt }));
        readmes.push(await readSource('README.md'));
      }
      let reading = true;
      const seen = new Set<string>();
      const reader = (async () => {
        while (reading) seen.add(await readSource('README.md'));
      })();

      for (let round = 0; round < 10; round++) await builder.build(nextBuild({ prompt: prompts[round % 2] }));
      reading = false;
      await reader;

      expect(seen.size).toBeGreaterThan(0);
      expect([...seen].filter((readme) => !readmes.includes(readme))).toEqual([]);
      const everything = await listTree(projectDir);
      expect(everything.filter((path) => path.endsWith('.tmp'))).toEqual([]);
    });

    it('fails without recreating the directory of a project deleted meanwhile', async () => {
      await rm(projectDir, { recursive: true });

      const failure = await buildFailure(builder, context);

      expect(failure).toMatchObject({ reason: 'failed', detail: "the project's directory is missing" });
      expect(existsSync(projectDir)).toBe(false);
    });

    it('fails with a detail that names no server path when a file cannot be written', async () => {
      await writeFile(join(context.sourceDir, 'src'), 'a file where a folder should be');

      const failure = await buildFailure(builder, context);

      expect(failure.reason).toBe('failed');
      expect(failure.detail).toMatch(
        /^the starter could not be written: ENOTDIR: not a directory, open '<project>\/source\/src\/\.project\.json\.[0-9a-f]+\.tmp'$/,
      );
      expect(failure.detail).not.toContain(sandbox);
      expect(await listTree(join(context.sourceDir))).not.toContainEqual(expect.stringMatching(/\.tmp$/));
    });

    it('stops, reporting reason stopped, when the signal is already aborted', async () => {
      const failure = await buildFailure(builder, context, AbortSignal.abort());

      expect(failure).toMatchObject({ reason: 'stopped', detail: 'the build was stopped before it finished' });
      expect(existsSync(context.outputDir)).toBe(false);
      expect(await listTree(context.sourceDir)).toEqual([]);
    });
  });

  describe('CommandBuilder', () => {
    const commandBuilder = (command: string, timeoutMs = 60_000) =>
      new CommandBuilder({ command, timeoutMs, projectsRoot: root, secrets: [SECRET] });

    const output = (path: string) => readFile(join(context.outputDir, path), 'utf8');

    it('succeeds on exit 0, run in source/ with an empty output folder created before it', async () => {
      await mkdir(context.outputDir);
      await writeFile(join(context.outputDir, 'stale.html'), 'from a failed attempt');
      const builder = commandBuilder(
        'ls -A "$OUTPUT_DIR" > listing.txt; pwd -P > "$OUTPUT_DIR/cwd.txt"; echo "<h1>built</h1>" > "$OUTPUT_DIR/index.html"',
      );

      await builder.build(context);

      expect(await readFile(join(context.sourceDir, 'listing.txt'), 'utf8')).toBe('');
      expect((await output('cwd.txt')).trim()).toBe(await realpath(context.sourceDir));
      expect(await output('index.html')).toBe('<h1>built</h1>\n');
    });

    it('passes every documented variable, PATH and HOME, and nothing else of the service’s environment', async () => {
      const script = join(sandbox, 'dump-env.js');
      await writeFile(
        script,
        `require('fs').writeFileSync(require('path').join(process.env.OUTPUT_DIR, 'env.json'), JSON.stringify(process.env));`,
      );
      process.env.SHEEN_TEST_SECRET = 'must-not-leak';
      try {
        context = { ...context, framework: 'svelte', prompt: hostilePrompt() };
        await commandBuilder(`${NODE} ${shellQuote(script)}`).build(context);
      } finally {
        delete process.env.SHEEN_TEST_SECRET;
      }

      const env = JSON.parse(await output('env.json')) as Record<string, string>;
      expect(env).toMatchObject({
        PROJECT_ID: context.projectId,
        BUILD_ID: context.buildId,
        VERSION_ID: context.versionId,
        USER_ID: context.userId,
        FRAMEWORK: 'svelte',
        PROMPT: context.prompt,
        OUTPUT_DIR: context.outputDir,
        PATH: process.env.PATH,
        HOME: process.env.HOME,
      });
      // The shell adds PWD (and may add SHLVL); nothing else may appear.
      const documented = ['PROJECT_ID', 'BUILD_ID', 'VERSION_ID', 'USER_ID', 'FRAMEWORK', 'PROMPT', 'OUTPUT_DIR'];
      expect(
        Object.keys(env).filter((name) => ![...documented, 'PATH', 'HOME', 'PWD', 'SHLVL'].includes(name)),
      ).toEqual([]);
      expect(existsSync(pwnedMarker)).toBe(false);
    });

    it('hands a prompt with quotes, $(...) and backticks over verbatim and never runs it', async () => {
      context = { ...context, prompt: `${hostilePrompt()} %d %% \\n -- -e` };

      await commandBuilder('printf %s "$PROMPT" > "$OUTPUT_DIR/prompt.txt"').build(context);

      expect(await output('prompt.txt')).toBe(context.prompt);
      expect(existsSync(pwnedMarker)).toBe(false);
    });

    it('fails on exit 1 with the stderr tail, server paths replaced', async () => {
      const builder = commandBuilder(
        [
          'echo "progress that is not an error"',
          `echo "warning: \\033[33mcolours\\033[0m dropped" >&2`,
          'echo "error: cannot read $PWD/package.json" >&2',
          `echo "in $OUTPUT_DIR; root $(cd ../../.. && pwd); log $HOME/.npm/_logs/debug.log" >&2`,
          'exit 1',
        ].join('; '),
      );

      const failure = await buildFailure(builder, context);

      expect(failure.reason).toBe('failed');
      expect(failure.detail).toBe(
        [
          'warning: colours dropped',
          'error: cannot read <project>/source/package.json',
          `in <project>/builds/${context.buildId}; root <projects-root>; log ~/.npm/_logs/debug.log`,
        ].join('\n'),
      );
      expect(failure.detail).not.toContain(sandbox);
      expect(failure.message).toContain(failure.detail);
    });

    it('hands stdout and stderr to the log as printed, and keeps the secrets out of the failure detail', async () => {
      const log = new RecordedBuildLog();
      const builder = commandBuilder(`echo out-1; echo "token ${SECRET}" >&2; printf 'out-2'; exit 4`);

      const failure = await buildFailure(builder, { ...context, log });

      expect(log.printed('stdout')).toBe('out-1\nout-2');
      expect(log.printed('stderr')).toBe(`token ${SECRET}\n`);
      expect(log.notes).toEqual(['running BUILD_COMMAND', 'the build command exited with code 4']);
      expect([...log.closedStreams].sort()).toEqual(['stderr', 'stdout']);
      expect(failure.detail).toBe('token ***');
    });

    it('keeps only the last 2 KiB of a long stderr', async () => {
      const builder = commandBuilder(
        `i=0; while [ $i -lt 3000 ]; do echo "noise line $i in $PWD" >&2; i=$((i+1)); done; echo "the real error" >&2; exit 2`,
      );

      const failure = await buildFailure(builder, context);

      expect(failure.reason).toBe('failed');
      expect(Buffer.byteLength(failure.detail)).toBeLessThanOrEqual(2048);
      expect(Buffer.byteLength(failure.detail)).toBeGreaterThan(1900);
      expect(failure.detail).toMatch(/^…/);
      expect(failure.detail).toMatch(/noise line 2999 in <project>\/source\nthe real error$/);
      expect(failure.detail).not.toContain(sandbox);
    });

    it.each([
      ['exit 3', 'the build command exited with code 3 and wrote nothing to stderr'],
      ['kill -9 $$', 'the build command was killed by SIGKILL and wrote nothing to stderr'],
      ['no-such-command-here', 'sh: 1: no-such-command-here: not found'],
    ])('fails on `%s` with %j', async (command, detail) => {
      expect(await buildFailure(commandBuilder(command), context)).toMatchObject({ reason: 'failed', detail });
    });

    it('kills the whole process group on timeout and fails with reason timeout', async () => {
      const builder = commandBuilder('echo $$ > "$OUTPUT_DIR/pgid"; sleep 30 & sleep 30; wait', 300);
      const started = Date.now();

      const failure = await buildFailure(builder, context);

      expect(Date.now() - started).toBeLessThan(5000);
      expect(failure).toMatchObject({ reason: 'timeout', detail: 'the build took longer than 300 ms and was stopped' });
      expect(await groupEnds(Number(await output('pgid')))).toBe(true);
    });

    it('kills the whole process group when the signal aborts', async () => {
      const builder = commandBuilder('echo $$ > "$OUTPUT_DIR/pgid"; sleep 30 & sleep 30; wait');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();

      const failure = await buildFailure(builder, context, controller.signal);

      expect(Date.now() - started).toBeLessThan(5000);
      expect(failure).toMatchObject({ reason: 'stopped', detail: 'the build was stopped before it finished' });
      expect(await groupEnds(Number(await output('pgid')))).toBe(true);
    });

    it('does not start when the signal is already aborted', async () => {
      const failure = await buildFailure(commandBuilder('touch "$OUTPUT_DIR/ran"'), context, AbortSignal.abort());

      expect(failure.reason).toBe('stopped');
      expect(existsSync(context.outputDir)).toBe(false);
    });

    it('kills background jobs a successful command leaves behind', async () => {
      const started = Date.now();

      await commandBuilder('echo $$ > "$OUTPUT_DIR/pgid"; sleep 30 & echo done').build(context);

      expect(Date.now() - started).toBeLessThan(5000);
      expect(await groupEnds(Number(await output('pgid')))).toBe(true);
    });

    it('does not wait for a process that left the group and holds stderr open', async () => {
      const builder = commandBuilder(
        `setsid sh -c 'echo $$ > "$OUTPUT_DIR/daemon"; exec sleep 30' & while [ ! -s "$OUTPUT_DIR/daemon" ]; do sleep 0.01; done`,
      );
      const started = Date.now();
      try {
        await builder.build(context);

        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        const daemon = Number(await output('daemon'));
        if (daemon > 0) process.kill(daemon, 'SIGKILL');
      }
    });

    it('fails without recreating the directory of a project deleted meanwhile', async () => {
      await rm(projectDir, { recursive: true });

      const failure = await buildFailure(commandBuilder('true'), context);

      expect(failure).toMatchObject({ reason: 'failed', detail: "the project's directory is missing" });
      expect(existsSync(projectDir)).toBe(false);
    });

    it('fails without echoing the prompt when a value cannot be passed in the environment', async () => {
      context = { ...context, prompt: 'secret\u0000prompt' };

      const failure = await buildFailure(commandBuilder('true'), context);

      expect(failure).toMatchObject({
        reason: 'failed',
        detail: 'the build command could not be started (ERR_INVALID_ARG_VALUE)',
      });
    });
  });
});
