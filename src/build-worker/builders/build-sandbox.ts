import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { lchown, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BuildCgroup, MemoryCgroups } from './build-memory-cgroup';
import { handTreeTo } from './source-tree-owner';
import { removeTree } from '../../workspace/remove-tree';

/** Where the build's own folders appear inside the sandbox: it never sees the server's layout. */
export const SANDBOX_SOURCE_DIR = '/build/source';
export const SANDBOX_OUTPUT_DIR = '/build/output';

/** The PATH a sandboxed build gets; the service's own PATH may name folders the sandbox does not hold. */
export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * The uid and gid a build runs as when the service runs as root (Debian's `nobody`): it owns no
 * file of the service, so a build that escaped its mounts could still read only what anyone may.
 */
export const SANDBOX_UID = 65534;

/** The host's system folders a build may read: programs, libraries and world-readable settings. */
const SYSTEM_DIRECTORIES = ['/usr', '/etc'];
/** On a merged-/usr system these are symlinks into /usr, and must be made as such. */
const TOP_LEVEL_LINKS_OR_DIRECTORIES = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export interface SandboxOptions {
  /** BUILD_NETWORK=on: the build shares the host's network (a real builder needs the registry). */
  readonly network: boolean;
  /** BUILD_READ_ONLY_PATHS: the operator's toolchain, shown read-only at the same absolute path. */
  readonly readOnlyPaths: readonly string[];
  /**
   * The service's own folders (its working directory, PROJECTS_ROOT). The sandbox shows the host's
   * /usr and /etc, so one of these that lies there (an app in /usr/src/app) is covered with an empty
   * tmpfs; elsewhere the sandbox does not show it at all, and no BUILD_READ_ONLY_PATHS entry may
   * hold one (the worker refuses to start).
   */
  readonly serviceFolders: readonly string[];
  /** BUILD_MEMORY_MAX_BYTES: what all of a build's processes together may hold, where a memory cgroup can be made. */
  readonly memoryMaxBytes: number;
}

export interface SandboxedRun {
  readonly sourceDir: string;
  readonly outputDir: string;
  /** The whole environment the command sees. */
  readonly env: Readonly<Record<string, string>>;
  /** Run by `/bin/sh -c` inside the sandbox, in SANDBOX_SOURCE_DIR. */
  readonly command: string;
}

/**
 * Runs a build command under Debian's bubblewrap (`bwrap`): its own PID, IPC, UTS, network and
 * mount namespaces, a read-only system, no /proc of the host, the build's source and output as its
 * only writable folders, and a cleared environment. bwrap's init is PID 1 of the namespace, so
 * when bwrap is killed (or the worker dies: `--die-with-parent`) the kernel kills every process in
 * it, `setsid` or not.
 *
 * As root, bwrap mounts with the service's rights (so a checkout under a 0700 folder works) and the
 * command then drops to SANDBOX_UID with no capabilities left (`setpriv`). As another user, bwrap
 * makes a user namespace and the command keeps the service's uid, which owns only what the
 * sandbox shows it.
 */
export class BubblewrapSandbox {
  private readonly systemArguments: readonly string[];
  /** Found on first use; null where this process may make no memory cgroup. */
  private memoryCgroups?: MemoryCgroups | null;

  constructor(
    private readonly options: SandboxOptions,
    private readonly runsAsRoot = process.getuid?.() === 0,
  ) {
    this.systemArguments = systemMounts();
  }

  /**
   * bwrap's own environment: only the PATH that finds it. bwrap is PID 1 of the sandbox, and its
   * /proc/1/environ must not hold the service's secrets.
   */
  hostEnvironment(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH };
  }

  /** The program and arguments that run `run` in the sandbox. */
  argv(run: SandboxedRun): { file: string; args: string[] } {
    const namespaces = ['--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try'];
    if (!this.options.network) namespaces.push('--unshare-net');
    if (!this.runsAsRoot) namespaces.push('--unshare-user');
    const root = this.runsAsRoot ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID'] : [];
    const environment = Object.entries(run.env).flatMap(([name, value]) => ['--setenv', name, value]);
    const dropPrivileges = this.runsAsRoot
      ? [
          'setpriv',
          `--reuid=${SANDBOX_UID}`,
          `--regid=${SANDBOX_UID}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--no-new-privs',
          '--',
        ]
      : [];
    return {
      file: 'bwrap',
      args: [
        ...namespaces,
        ...root,
        '--die-with-parent',
        '--new-session',
        ...this.systemArguments,
        // Per run: PROJECTS_ROOT may not exist yet when the worker starts, and its real path counts.
        ...coverServiceFolders(this.options.serviceFolders),
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        '--perms',
        '1777',
        '--tmpfs',
        '/tmp',
        // After /tmp's tmpfs, or a toolchain under /tmp would be hidden by it.
        ...this.options.readOnlyPaths.flatMap(readOnlyMount),
        '--perms',
        '0755',
        '--dir',
        '/build',
        '--bind',
        run.sourceDir,
        SANDBOX_SOURCE_DIR,
        '--bind',
        run.outputDir,
        SANDBOX_OUTPUT_DIR,
        '--chdir',
        SANDBOX_SOURCE_DIR,
        '--clearenv',
        ...environment,
        '--',
        ...dropPrivileges,
        '/bin/sh',
        '-c',
        run.command,
      ],
    };
  }

  /**
   * Lets the command write its own folders: as root the command runs as SANDBOX_UID, so the
   * source tree (by descriptor, see handTreeTo) and the (new, empty) output folder become that
   * user's. As another user there is nothing to do. `limit` ends the walk of the source tree.
   */
  async grantWriteAccess(sourceDir: string, outputDir: string, limit?: AbortSignal): Promise<void> {
    if (!this.runsAsRoot) return;
    await handTreeTo(sourceDir, SANDBOX_UID, limit);
    await lchown(outputDir, SANDBOX_UID, SANDBOX_UID);
  }

  /**
   * A BUILD_READ_ONLY_PATHS entry that holds a service folder (or is one) would show it to every
   * build, past the tmpfs that covers it under /usr or /etc: the worker refuses to start with it.
   */
  private refuseShownServiceFolders(): void {
    const services = this.options.serviceFolders.map(realPath);
    for (const shown of this.options.readOnlyPaths.map(realPath)) {
      const held = services.find((service) => service === shown || service.startsWith(`${shown}/`));
      if (held !== undefined) {
        throw new Error(
          `BUILD_READ_ONLY_PATHS shows ${shown}, which holds the service folder ${held} (its working directory ` +
            'or PROJECTS_ROOT): name the toolchain folders themselves',
        );
      }
    }
  }

  /**
   * A memory cgroup for one attempt, limited to BUILD_MEMORY_MAX_BYTES, or undefined where none can
   * be made here; the caller runs the sandbox in it (BuildCgroup.wrap) and removes it afterwards.
   */
  memoryCgroup(): BuildCgroup | undefined {
    this.memoryCgroups ??= MemoryCgroups.detect() ?? null;
    return this.memoryCgroups?.create(this.options.memoryMaxBytes);
  }

  /**
   * Runs `true` in the sandbox once, so a worker that cannot sandbox (no bwrap, user namespaces
   * switched off) stops at start with the reason instead of failing every build. Says so, too,
   * when the memory limit cannot be kept here.
   */
  async probe(): Promise<void> {
    this.refuseShownServiceFolders();
    const scratch = await mkdtemp(join(tmpdir(), 'sandbox-probe-'));
    try {
      const folders = { sourceDir: join(scratch, 'source'), outputDir: join(scratch, 'output') };
      await Promise.all([mkdir(folders.sourceDir), mkdir(folders.outputDir)]);
      const { file, args } = this.argv({ ...folders, env: {}, command: 'true' });
      await promisify(execFile)(file, args, { env: this.hostEnvironment(), timeout: 10_000 });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      const reason =
        failure.code === 'ENOENT' ? 'bwrap was not found on PATH' : failure.stderr?.trim() || failure.message;
      throw new Error(
        `BUILD_SANDBOX=bubblewrap, but the sandbox does not run here: ${reason}. ` +
          'Install bubblewrap (Debian: apt-get install bubblewrap) and allow user namespaces, ' +
          'or set BUILD_SANDBOX=none outside production.',
        { cause: error },
      );
    } finally {
      await removeTree(scratch);
    }
    const cgroup = this.memoryCgroup();
    if (cgroup) cgroup.remove();
    else {
      new Logger('BuildSandbox').warn(
        'BUILD_MEMORY_MAX_BYTES is not enforced: this process may make no memory cgroup (the cgroup v1 memory ' +
          'controller, or cgroup v2 with memory delegated to its cgroup); limit the worker as a whole instead',
      );
    }
  }
}

/** /usr and /etc read-only, and /bin, /lib… as the host has them: a symlink into /usr or a folder. */
function systemMounts(): string[] {
  const mounts = SYSTEM_DIRECTORIES.flatMap((directory) => ['--ro-bind', directory, directory]);
  for (const path of TOP_LEVEL_LINKS_OR_DIRECTORIES) {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats?.isSymbolicLink()) mounts.push('--symlink', readlinkSync(path), path);
    else if (stats?.isDirectory()) mounts.push('--ro-bind', path, path);
  }
  return mounts;
}

/** An empty tmpfs over each service folder that lies in a system folder the sandbox shows. */
function coverServiceFolders(folders: readonly string[]): string[] {
  return [...new Set(folders.map(realPath))]
    .filter((folder) => SYSTEM_DIRECTORIES.some((system) => folder === system || folder.startsWith(`${system}/`)))
    .flatMap((folder) => ['--tmpfs', folder]);
}

/** The path with every symlink resolved, as far as it exists: what the sandbox's mounts show there. */
function realPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
  }
}

/**
 * bwrap makes the folders above a mount point with the host's modes, so under a 0700 folder the
 * build could not reach its toolchain; each one is made 0755 first.
 */
function readOnlyMount(path: string): string[] {
  const ancestors: string[] = [];
  for (let folder = dirname(path); folder !== '/'; folder = dirname(folder)) ancestors.unshift(folder);
  return [...ancestors.flatMap((folder) => ['--perms', '0755', '--dir', folder]), '--ro-bind', path, path];
}
