import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, utimesSync } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildContext } from '../../src/build-worker/builders/builder';
import { MemoryCgroups } from '../../src/build-worker/builders/build-memory-cgroup';
import { BubblewrapSandbox, SANDBOX_UID } from '../../src/build-worker/builders/build-sandbox';
import { CommandBuilder } from '../../src/build-worker/builders/command-builder';
import { newUlid } from '../../src/ids/ids';
import { ProjectDirectoriesService } from '../../src/workspace/project-directories.service';
import { buildFailure, createAndFinishBuild } from '../support/build-results';
import { eventually } from '../support/processes';
import { startTestApp, TestApp } from '../support/test-app';
import { RecordedBuildLog } from '../support/recorded-build-log';

const IS_ROOT = process.getuid?.() === 0;

/** The uid a sandboxed build has: as root the service hands builds to `nobody`; otherwise its own. */
const BUILD_UID = IS_ROOT ? SANDBOX_UID : process.getuid!();

const DOCUMENTED = ['PROJECT_ID', 'BUILD_ID', 'VERSION_ID', 'USER_ID', 'FRAMEWORK', 'PROMPT', 'OUTPUT_DIR'];

/**
 * The values of this process's own environment as /proc shows it (what a build would dump), but
 * for those a sandbox may share by design and the ones too short to tell apart.
 */
function hostEnvironmentValues(): string[] {
  return readFileSync(`/proc/${process.pid}/environ`, 'utf8')
    .split('\0')
    .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
    .filter(([name, value]) => !['PATH', 'HOME', 'PWD', 'SHLVL', '_'].includes(name) && value.length >= 8)
    .map(([, value]) => value);
}

/** The names of the variables in a dump of NUL-separated environments. */
const variableNames = (dump: string) =>
  new Set(
    dump
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(0, entry.indexOf('='))),
  );

const ALLOWED = [...DOCUMENTED, 'PATH', 'HOME', 'PWD', 'SHLVL', '_'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a command build in the bubblewrap sandbox', () => {
  /** Made by mkdtemp, so 0700: bwrap must still mount what lies under it. */
  let scratch: string;
  let root: string;
  let context: BuildContext;
  /** Another user's project with a published build, which the build must not see or change. */
  let victim: { dir: string; page: string };

  const sandboxed = (
    command: string,
    options: {
      network?: boolean;
      readOnlyPaths?: string[];
      serviceFolders?: string[];
      memoryMaxBytes?: number;
      timeoutMs?: number;
    } = {},
  ) =>
    new CommandBuilder({
      command,
      timeoutMs: options.timeoutMs ?? 30_000,
      projectsRoot: root,
      secrets: [],
      sandbox: new BubblewrapSandbox({
        network: options.network ?? false,
        readOnlyPaths: options.readOnlyPaths ?? [],
        serviceFolders: options.serviceFolders ?? [process.cwd(), root],
        memoryMaxBytes: options.memoryMaxBytes ?? 4 * 1024 ** 3,
      }),
    });
  const output = (path: string) => readFile(join(context.outputDir, path), 'utf8');

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sheen-sandbox-'));
    root = join(scratch, 'projects');
    const workspace = new ProjectDirectoriesService({ projectsRoot: root });
    const project = async () => {
      const [userId, projectId] = [randomUUID(), randomUUID()];
      const dir = await workspace.createProjectDirectory(userId, projectId);
      await workspace.ensureBuildLayout(userId, projectId);
      return { userId, projectId, dir };
    };
    const [own, other] = await Promise.all([project(), project()]);
    const published = join(other.dir, 'builds', newUlid());
    await mkdir(published);
    victim = { dir: other.dir, page: join(published, 'index.html') };
    await writeFile(victim.page, '<h1>mine</h1>');
    const buildId = newUlid();
    context = {
      projectId: own.projectId,
      buildId,
      versionId: newUlid(),
      userId: own.userId,
      framework: 'react',
      prompt: 'A todo list',
      projectName: 'Todo',
      sourceDir: join(own.dir, 'source'),
      outputDir: join(own.dir, 'builds', buildId),
      log: new RecordedBuildLog(),
    };
  });
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it('runs in its own source folder and writes its own output folder', async () => {
    await sandboxed('pwd > where.txt; echo "<h1>built</h1>" > "$OUTPUT_DIR/index.html"').build(context);

    expect(await readFile(join(context.sourceDir, 'where.txt'), 'utf8')).toBe('/build/source\n');
    expect(await output('index.html')).toBe('<h1>built</h1>\n');
    expect((await stat(join(context.outputDir, 'index.html'))).uid).toBe(BUILD_UID);
  });

  it('sees only the documented variables, a PATH of the system and a private HOME', async () => {
    await sandboxed('env > "$OUTPUT_DIR/env.txt"').build(context);

    const env = Object.fromEntries(
      (await output('env.txt'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      PROJECT_ID: context.projectId,
      BUILD_ID: context.buildId,
      OUTPUT_DIR: '/build/output',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/tmp',
    });
    expect(Object.keys(env).filter((name) => ![...DOCUMENTED, 'PATH', 'HOME', 'PWD', 'SHLVL'].includes(name))).toEqual(
      [],
    );
  });

  it('runs as an unprivileged user without capabilities, and cannot read the service’s environment or processes', async () => {
    await sandboxed(
      [
        'id -u > "$OUTPUT_DIR/uid"',
        'grep CapEff /proc/self/status > "$OUTPUT_DIR/caps"',
        'cat /proc/[0-9]*/environ > "$OUTPUT_DIR/environ" 2>/dev/null',
        'ls /proc | grep -c "^[0-9]" > "$OUTPUT_DIR/processes"',
        'true',
      ].join('; '),
    ).build(context);

    expect(Number(await output('uid'))).toBe(BUILD_UID);
    expect(await output('caps')).toBe('CapEff:\t0000000000000000\n');
    const environ = await output('environ');
    expect(environ.length).toBeGreaterThan(0);
    expect([...variableNames(environ)].filter((name) => !ALLOWED.includes(name))).toEqual([]);
    for (const value of hostEnvironmentValues()) expect(environ).not.toContain(value);
    // bwrap's init, the shell, and the few commands of the pipeline: never the host's processes.
    expect(Number(await output('processes'))).toBeLessThan(8);
  });

  it('sees no other project and no server folder, and cannot change another project’s published files', async () => {
    context = { ...context, prompt: victim.page };
    await sandboxed(
      [
        'ls / > "$OUTPUT_DIR/root.txt"',
        '(echo defaced > "$PROMPT") 2> "$OUTPUT_DIR/deface.txt"',
        `ls ${root} > "$OUTPUT_DIR/projects.txt" 2>&1`,
        'touch /usr/bin/planted /etc/planted 2> "$OUTPUT_DIR/system.txt"',
        'ln /etc/passwd "$OUTPUT_DIR/passwd" 2> "$OUTPUT_DIR/hardlink.txt"',
        'true',
      ].join('; '),
    ).build(context);

    expect(await readFile(victim.page, 'utf8')).toBe('<h1>mine</h1>');
    expect(await output('deface.txt')).toMatch(/Directory nonexistent/);
    expect(await output('projects.txt')).toMatch(/No such file or directory/);
    const top = (await output('root.txt')).trim().split('\n');
    expect(top).toEqual(expect.arrayContaining(['build', 'usr', 'etc', 'tmp', 'proc', 'dev']));
    for (const hidden of ['root', 'home', 'var', 'work', 'srv', 'opt']) expect(top).not.toContain(hidden);
    expect(await output('system.txt')).toMatch(/Read-only file system[\s\S]*Read-only file system/);
    expect(await output('hardlink.txt')).toMatch(/Invalid cross-device link/);
    expect(existsSync('/usr/bin/planted')).toBe(false);
    expect(existsSync('/etc/planted')).toBe(false);
  });

  describe('handing the source folder to the build (the service runs as root, as CI does)', () => {
    /** A file of the host's, outside every project, that root owns. */
    let hostFile: string;

    beforeEach(async () => {
      hostFile = join(scratch, 'host-secret.txt');
      await writeFile(hostFile, 'root only');
      await chmod(hostFile, 0o600);
    });

    const ownerOf = async (path: string) => (await lstat(path)).uid;

    it('refuses a hard link in the source folder, and leaves the file it names alone', async () => {
      await mkdir(join(context.sourceDir, 'deep'));
      await link(hostFile, join(context.sourceDir, 'deep', 'innocent.txt'));

      const failure = await buildFailure(sandboxed('cat deep/innocent.txt > "$OUTPUT_DIR/leak.txt"'), context);

      expect(failure.detail).toBe(
        'the build folders could not be handed to the sandbox: ./deep/innocent.txt in the source folder is a hard link, which is never handed to a build',
      );
      expect(await ownerOf(hostFile)).toBe(0);
      expect(existsSync(join(context.outputDir, 'leak.txt'))).toBe(false);
    });

    it('counts handing over a source tree an earlier build filled against BUILD_TIMEOUT_MS', async () => {
      await mkdir(join(context.sourceDir, 'many'));
      for (let file = 0; file < 5000; file++) await writeFile(join(context.sourceDir, 'many', `f${file}`), '');

      const failure = await buildFailure(sandboxed('touch "$OUTPUT_DIR/ran"', { timeoutMs: 1 }), context);

      expect(failure.detail).toBe('the build took longer than 1 ms and was stopped');
      expect(existsSync(join(context.outputDir, 'ran'))).toBe(false);
      // The walk stopped when the time was up, not after the last file.
      expect(await ownerOf(join(context.sourceDir, 'many', 'f4999'))).toBe(0);
    });

    it('changes files and folders of the tree, never what a symlink in it points at', async () => {
      const hostFolder = join(scratch, 'host-folder');
      await mkdir(hostFolder);
      await writeFile(join(hostFolder, 'config'), 'root only');
      await mkdir(join(context.sourceDir, 'src'));
      await writeFile(join(context.sourceDir, 'src', 'app.js'), 'old');
      await symlink(hostFolder, join(context.sourceDir, 'src', 'escape'));
      await symlink(hostFile, join(context.sourceDir, 'secret-link'));

      await sandboxed('echo new > src/app.js').build(context);

      expect(await readFile(join(context.sourceDir, 'src', 'app.js'), 'utf8')).toBe('new\n');
      expect(await ownerOf(join(context.sourceDir, 'src'))).toBe(SANDBOX_UID);
      for (const path of [hostFolder, join(hostFolder, 'config'), hostFile]) expect(await ownerOf(path)).toBe(0);
    });
  });

  describe('the network', () => {
    let server: Server;
    let port: number;
    let connections: number;

    beforeEach(async () => {
      connections = 0;
      server = createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterEach(() => new Promise((resolve) => server.close(resolve)));

    // bash, not sh: Debian's sh has no /dev/tcp.
    const connect = () => `bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2> "$OUTPUT_DIR/connect.txt"; true`;

    it('is off by default: not even the host’s loopback answers', async () => {
      await sandboxed(connect()).build(context);

      expect(await output('connect.txt')).toMatch(/Connection refused/);
      expect(connections).toBe(0);
    });

    it('is the host’s with BUILD_NETWORK=on', async () => {
      await sandboxed(connect(), { network: true }).build(context);

      expect(await output('connect.txt')).toBe('');
      expect(connections).toBe(1);
    });
  });

  it('shows BUILD_READ_ONLY_PATHS at their own path, readable under a 0700 folder, and read-only', async () => {
    const tools = join(scratch, 'toolchain');
    await mkdir(join(tools, 'bin'), { recursive: true });
    await writeFile(
      join(tools, 'bin', 'make-site'),
      '#!/bin/sh\necho "<h1>from the toolchain</h1>" > "$OUTPUT_DIR/index.html"\n',
    );
    await chmod(join(tools, 'bin', 'make-site'), 0o755);
    await chmod(scratch, 0o700);

    await sandboxed(`${tools}/bin/make-site; touch ${tools}/planted 2> "$OUTPUT_DIR/write.txt"; true`, {
      readOnlyPaths: [tools],
    }).build(context);

    expect(await output('index.html')).toBe('<h1>from the toolchain</h1>\n');
    expect(await output('write.txt')).toMatch(/Read-only file system/);
    expect(existsSync(join(tools, 'planted'))).toBe(false);
  });

  it('cannot read a service folder that lies in /usr, as an app deployed to /usr/src/app would', async () => {
    const app = await mkdtemp('/usr/local/sheen-app-');
    try {
      // Readable by anyone, as a deployed app's folder usually is.
      await chmod(app, 0o755);
      await writeFile(join(app, '.env'), 'WORKER_SHARED_SECRET=from-the-app-folder', { mode: 0o644 });
      await sandboxed(
        `ls -A ${app} > "$OUTPUT_DIR/listing.txt" 2>&1; cat ${app}/.env > "$OUTPUT_DIR/env.txt" 2>&1; true`,
        {
          serviceFolders: [app, root],
        },
      ).build(context);

      expect(await output('listing.txt')).toBe('');
      expect(await output('env.txt')).toMatch(/No such file or directory/);
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });

  describe('memory, limited where the kernel allows (a memory cgroup this process may make children in, as here)', () => {
    const MiB = 1024 * 1024;
    /** Holds `mib` MiB in one process, every page touched, for `seconds`. */
    const hold = (mib: number, seconds = 0) =>
      `python3 -c "import time; b = bytearray(${mib} * 1024 * 1024); time.sleep(${seconds}); print(len(b))"`;
    /** The build cgroups there are now, beside this process's own. */
    const buildCgroups = () => {
      const cgroups = MemoryCgroups.detect();
      expect(cgroups).toBeDefined();
      const probe = cgroups!.create(16 * MiB);
      probe.remove();
      return readdirSync(dirname(probe.dir)).filter((name) => name.startsWith('sheen-build-'));
    };

    it('fails a build whose processes hold more than BUILD_MEMORY_MAX_BYTES, saying so, and leaves no cgroup', async () => {
      const before = buildCgroups();

      const failure = await buildFailure(sandboxed(hold(200), { memoryMaxBytes: 64 * MiB }), context);

      expect(failure).toMatchObject({
        reason: 'failed',
        detail: `the build ran out of memory: its processes together may hold ${64 * MiB} bytes (BUILD_MEMORY_MAX_BYTES)`,
      });
      expect(buildCgroups()).toEqual(before);
    });

    it('counts the processes of a build together, not each on its own', async () => {
      const failure = await buildFailure(
        sandboxed(`${hold(40, 3)} & ${hold(40, 3)} & wait %1 && wait %2`, { memoryMaxBytes: 64 * MiB }),
        context,
      );

      expect(failure.detail).toMatch(/^the build ran out of memory/);
    });

    it('removes, when a worker starts, the empty cgroups of workers that died mid-build, but not a fresh one', () => {
      const probe = MemoryCgroups.detect()!.create(16 * MiB);
      probe.remove();
      const parent = dirname(probe.dir);
      const [abandoned, fresh] = ['abandoned', 'fresh'].map((name) => join(parent, `sheen-build-test-${name}`));
      mkdirSync(abandoned);
      mkdirSync(fresh);
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      utimesSync(abandoned, twoMinutesAgo, twoMinutesAgo);
      try {
        MemoryCgroups.detect();

        expect(existsSync(abandoned)).toBe(false);
        expect(existsSync(fresh)).toBe(true);
      } finally {
        for (const dir of [abandoned, fresh]) if (existsSync(dir)) rmdirSync(dir);
      }
    });

    it('lets a build under the limit run as usual', async () => {
      await sandboxed(`${hold(20)} > "$OUTPUT_DIR/held.txt"`, { memoryMaxBytes: 64 * MiB }).build(context);

      expect(await output('held.txt')).toBe(`${20 * MiB}\n`);
    });
  });

  /** How many ticks a background process (detached with setsid) has written into the output so far. */
  const ticks = async () => (await readdir(context.outputDir)).filter((name) => name.startsWith('tick')).length;
  const DAEMON = `setsid sh -c 'i=0; while :; do i=$((i+1)); : > "$OUTPUT_DIR/tick$i"; sleep 0.05; done' & sleep 0.3`;

  it('leaves no process behind when the command ends, not even one that called setsid', async () => {
    await sandboxed(`${DAEMON}; echo ok > "$OUTPUT_DIR/index.html"`).build(context);
    const after = await ticks();
    await sleep(500);

    expect(after).toBeGreaterThan(0);
    expect(await ticks()).toBe(after);
  });

  it('kills every process of the sandbox on timeout and when the signal aborts', async () => {
    const timedOut = await buildFailure(sandboxed(`${DAEMON}; sleep 30`, { timeoutMs: 1000 }), context);
    const afterTimeout = await ticks();
    await sleep(500);

    expect(timedOut.reason).toBe('timeout');
    expect(await ticks()).toBe(afterTimeout);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const stopped = await buildFailure(
      sandboxed(`${DAEMON}; sleep 30`),
      { ...context, buildId: newUlid() },
      controller.signal,
    );
    const afterAbort = await ticks();
    await sleep(500);

    expect(stopped.reason).toBe('stopped');
    expect(await ticks()).toBe(afterAbort);
  });

  it('ends every process of the sandbox when the worker itself dies by SIGKILL', async () => {
    const worker = spawn(
      join(__dirname, '..', '..', 'node_modules', '.bin', 'node'),
      [
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, '..', 'support', 'sandboxed-build-child.ts'),
        JSON.stringify(context),
        `${DAEMON}; sleep 60`,
      ],
      { cwd: join(__dirname, '..', '..'), stdio: 'ignore' },
    );
    try {
      await eventually(
        'the sandboxed daemon ticking',
        async () => ((await ticks().catch(() => 0)) > 2 ? true : undefined),
        20_000,
      );
    } finally {
      worker.kill('SIGKILL');
    }
    await new Promise((resolve) => worker.once('exit', resolve));
    await sleep(300);
    const afterDeath = await ticks();
    await sleep(500);

    expect(await ticks()).toBe(afterDeath);
  }, 30_000);

  it('fails with the command’s own message when it fails, with no server path in it', async () => {
    const failure = await buildFailure(sandboxed('cat package.json'), context);

    expect(failure).toMatchObject({ reason: 'failed', detail: 'cat: package.json: No such file or directory' });
  });

  it('refuses to start with a BUILD_READ_ONLY_PATHS entry that would show a service folder', async () => {
    const shown = sandboxed('true', { readOnlyPaths: [scratch], serviceFolders: [join(scratch, 'app'), root] });

    await expect(shown.prepare()).rejects.toThrow(
      `BUILD_READ_ONLY_PATHS shows ${scratch}, which holds the service folder ${join(scratch, 'app')}`,
    );
    await expect(sandboxed('true', { readOnlyPaths: [root] }).prepare()).rejects.toThrow(/holds the service folder/);
  });

  it('checks at start that the sandbox runs here, and says what to do when it does not', async () => {
    await expect(sandboxed('true').prepare()).resolves.toBeUndefined();

    const path = process.env.PATH;
    process.env.PATH = join(scratch, 'no-bwrap-here');
    try {
      await expect(sandboxed('true').prepare()).rejects.toThrow(
        /^BUILD_SANDBOX=bubblewrap, but the sandbox does not run here: bwrap was not found on PATH\. Install bubblewrap/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('a hostile build on the real stack, sandboxed by default', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        // The prompt names a path to deface; the build reports what it could read into its own output.
        BUILD_COMMAND: [
          'cat /proc/[0-9]*/environ > "$OUTPUT_DIR/environ.txt" 2>/dev/null',
          'echo defaced > "$PROMPT" 2>/dev/null',
          `setsid sh -c 'sleep 1; echo late > "$OUTPUT_DIR/late.html"' &`,
          'echo "<h1>built</h1>" > "$OUTPUT_DIR/index.html"',
        ].join('\n'),
        BUILD_MAX_ATTEMPTS: '1',
      },
    });
  }, 60_000);
  afterAll(() => t?.close());

  async function build(prompt: string) {
    const built = await createAndFinishBuild(t, prompt);
    expect(built.finished).toEqual({ status: 'succeeded', error: null });
    return { ...built, page: join(built.buildsFolder, built.buildId) };
  }

  it('publishes its output but cannot read the service’s environment, deface another project or outlive its build', async () => {
    const first = await build('A harmless site');
    const second = await build(join(first.page, 'index.html'));
    await sleep(1500);

    const preview = (built: { projectId: string; versionId: string }, file: string) =>
      t.unsigned().get(`/preview/${built.projectId}/${built.versionId}/${file}`);
    expect((await preview(first, '')).text).toBe('<h1>built</h1>\n');
    const environ = await preview(second, 'environ.txt').expect(200);
    expect([...variableNames(environ.text)].filter((name) => !ALLOWED.includes(name))).toEqual([]);
    for (const value of hostEnvironmentValues()) expect(environ.text).not.toContain(value);
    expect(environ.text).not.toContain(t.db.url);
    expect(environ.text).not.toContain(t.secret);
    await preview(second, 'late.html').expect(404);
    expect(existsSync(join(second.page, 'late.html'))).toBe(false);
  });
});
