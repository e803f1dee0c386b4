import { BubblewrapSandbox, SANDBOX_UID } from './build-sandbox';

/** BUILD_MEMORY_MAX_BYTES's default; the argv does not depend on it. */
const MEMORY = 4 * 1024 ** 3;

const RUN = { sourceDir: '/srv/p/source', outputDir: '/srv/p/builds/b1', env: { BUILD_ID: 'b1' }, command: 'make' };

/** The value that follows `flag` each time it appears, e.g. every `--bind` source. */
function after(args: string[], flag: string, count = 1): string[][] {
  return args.flatMap((arg, index) => (arg === flag ? [args.slice(index + 1, index + 1 + count)] : []));
}

describe('BubblewrapSandbox.argv', () => {
  it('as root: mounts with root’s rights, then drops to the sandbox uid with no capabilities', () => {
    const { file, args } = new BubblewrapSandbox(
      { network: false, readOnlyPaths: [], serviceFolders: [], memoryMaxBytes: MEMORY },
      true,
    ).argv(RUN);

    expect(file).toBe('bwrap');
    expect(args).not.toContain('--unshare-user');
    const command = args.slice(args.indexOf('--') + 1);
    expect(command[0]).toBe('setpriv');
    expect(command).toEqual(
      expect.arrayContaining([`--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--inh-caps=-all', '--no-new-privs']),
    );
    expect(command.slice(-3)).toEqual(['/bin/sh', '-c', 'make']);
  });

  it('as another user: a user namespace, and the command runs as that user', () => {
    const { args } = new BubblewrapSandbox(
      { network: false, readOnlyPaths: [], serviceFolders: [], memoryMaxBytes: MEMORY },
      false,
    ).argv(RUN);

    expect(args).toContain('--unshare-user');
    expect(args).not.toContain('--cap-add');
    expect(args.slice(args.indexOf('--') + 1)).toEqual(['/bin/sh', '-c', 'make']);
  });

  it('binds only the build’s folders writable, at fixed paths, and clears the environment', () => {
    const { args } = new BubblewrapSandbox(
      { network: false, readOnlyPaths: [], serviceFolders: [], memoryMaxBytes: MEMORY },
      true,
    ).argv(RUN);

    expect(after(args, '--bind', 2)).toEqual([
      ['/srv/p/source', '/build/source'],
      ['/srv/p/builds/b1', '/build/output'],
    ]);
    expect(after(args, '--setenv', 2)).toEqual([['BUILD_ID', 'b1']]);
    expect(args.indexOf('--clearenv')).toBeLessThan(args.indexOf('--setenv'));
    expect(args).toEqual(
      expect.arrayContaining(['--unshare-pid', '--unshare-net', '--die-with-parent', '--new-session']),
    );
  });

  it('shares the network only with BUILD_NETWORK=on', () => {
    const { args } = new BubblewrapSandbox(
      { network: true, readOnlyPaths: [], serviceFolders: [], memoryMaxBytes: MEMORY },
      true,
    ).argv(RUN);

    expect(args).not.toContain('--unshare-net');
  });

  it('shows each read-only path at its own place, after /tmp’s tmpfs, with the folders above it reachable', () => {
    const { args } = new BubblewrapSandbox(
      { network: false, readOnlyPaths: ['/tmp/ci/tools'], serviceFolders: [], memoryMaxBytes: MEMORY },
      true,
    ).argv(RUN);

    const tmpfs = args.indexOf('/tmp', args.indexOf('--tmpfs'));
    const folders = after(args, '--dir').map(([folder]) => folder);
    expect(folders).toEqual(['/tmp', '/tmp/ci', '/build']);
    expect(after(args, '--ro-bind', 2)).toContainEqual(['/tmp/ci/tools', '/tmp/ci/tools']);
    expect(args.indexOf('/tmp/ci/tools')).toBeGreaterThan(tmpfs);
  });

  it('covers a service folder that lies in /usr or /etc with an empty tmpfs, before the read-only paths', () => {
    const { args } = new BubblewrapSandbox(
      {
        network: false,
        readOnlyPaths: ['/usr/src/app/toolchain'],
        serviceFolders: ['/usr/src/app', '/etc/sheen/../sheen/projects', '/srv/app', '/usrx/app'],
        memoryMaxBytes: MEMORY,
      },
      true,
    ).argv(RUN);

    expect(after(args, '--tmpfs')).toEqual([['/usr/src/app'], ['/etc/sheen/projects'], ['/tmp']]);
    expect(args.indexOf('/usr/src/app')).toBeGreaterThan(args.lastIndexOf('/etc'));
    expect(args.indexOf('/usr/src/app/toolchain')).toBeGreaterThan(args.indexOf('/usr/src/app'));
  });
});
