import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { embeddedDataDirectory } from '../../src/database/embedded-postgres-home';
import { ServiceProcess } from '../support/service-process';

const ROOT = resolve(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * `npm start` as a newcomer runs it: no DATABASE_URL, from a checkout under a directory only its
 * owner may enter (root's home, `mktemp -d`). As root, PostgreSQL runs as the `postgres` user, which
 * cannot reach such a checkout; the service must still come up (embedded-postgres-home.ts).
 */
describe('npm start from a checkout under a 0700 directory', () => {
  let privateDir: string;
  let checkout: string;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    await mkdir(join(ROOT, '.data'), { recursive: true });
    privateDir = await mkdtemp(join(ROOT, '.data', 'private-checkout-'));
    checkout = join(privateDir, 'app');
    await copyWorkingTree(checkout);
  }, 120_000);

  afterAll(async () => {
    await service?.kill();
    const dataDir = embeddedDataDirectory(join(checkout, '.data', 'postgres'));
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.password`, { force: true });
    await rm(privateDir, { recursive: true, force: true });
  });

  it('serves /health/ready, with the database where its user can reach it, and shuts down on SIGTERM', async () => {
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);

    service = ServiceProcess.command('npm', ['start'], checkout, { PORT: '0' });
    // npm start builds first: on two busy cores that takes a while.
    const [, port] = await service.waitForStdout(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 180_000);

    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    const dataDir = embeddedDataDirectory(join(checkout, '.data', 'postgres'));
    expect(service.stdout).toContain(`(data in ${dataDir})`);
    if (process.getuid?.() === 0) expect(dataDir.startsWith(privateDir)).toBe(false);

    // To the whole group, as a terminal's Ctrl-C reaches npm and the service alike.
    service.signal('SIGTERM');
    await service.exitWithin(30_000);
    expect(service.stdout).toMatch(/"msg":"shut down"/);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(service.stderr).not.toMatch(/^\s+at /m);
  }, 240_000);
});

/** The files a clone would hold (tracked and new, not ignored), and node_modules as hard links. */
async function copyWorkingTree(target: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const present = stdout.split('\0').filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of present) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(target, file));
  }
  // Hard links: the same files at no cost, but behind the private directory as a real install is.
  const modules = await realpath(join(ROOT, 'node_modules'));
  await run('cp', ['-al', modules, join(target, 'node_modules')]).catch(() =>
    run('cp', ['-a', modules, join(target, 'node_modules')]),
  );
}
