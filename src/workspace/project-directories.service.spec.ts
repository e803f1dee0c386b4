import { randomUUID } from 'node:crypto';
import type { MakeDirectoryOptions, PathLike } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listTree } from '../../test/support/persisted-state';
import { useProjectsRoot } from '../../test/support/projects-root';
import { ProjectDirectoriesService } from './project-directories.service';

/**
 * Runs around every mkdir the service makes, so a test can stage a race with another request
 * deterministically (the real race needs thousands of tries to show). Unset: plain mkdir.
 */
let mockAroundMkdir: ((path: string, mkdir: () => string | undefined) => string | undefined) | undefined;

jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  const mkdirOnce = (path: PathLike, options?: MakeDirectoryOptions) => actual.mkdirSync(path, options);
  return {
    ...actual,
    mkdirSync: (path: PathLike, options?: MakeDirectoryOptions) =>
      mockAroundMkdir ? mockAroundMkdir(String(path), () => mkdirOnce(path, options)) : mkdirOnce(path, options),
  };
});

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

const BAD_IDS = [
  '../x',
  '..',
  '.',
  '',
  'a/b',
  '/etc',
  '..\\x',
  randomUUID().toUpperCase(),
  `${randomUUID()}/..`,
  `../${randomUUID()}`,
  `${randomUUID()}\n`,
  ` ${randomUUID()}`,
  randomUUID().replace(/-/g, ''),
];

describe('ProjectDirectoriesService', () => {
  const projectsRoot = useProjectsRoot();
  let sandbox: string;
  let root: string;
  let workspace: ProjectDirectoriesService;

  beforeEach(() => ({ sandbox, root, directories: workspace } = projectsRoot));
  afterEach(() => (mockAroundMkdir = undefined));

  /** A project with its build folders and one source file. */
  async function projectWithSource(user: string, project: string): Promise<void> {
    await workspace.createProjectDirectory(user, project);
    await workspace.ensureBuildLayout(user, project);
    await writeFile(join(root, user, project, 'source', 'index.html'), '<h1>hi</h1>');
  }

  describe('createProjectDirectory', () => {
    it('makes <root>/<user>/<project>, creating the root, and nothing else', async () => {
      const [user, project] = [randomUUID(), randomUUID()];

      const directory = await workspace.createProjectDirectory(user, project);

      expect(directory).toBe(join(root, user, project));
      expect(await isDirectory(directory)).toBe(true);
      expect(await listTree(sandbox)).toEqual(['projects', `projects/${user}`, `projects/${user}/${project}`]);
    });

    it('adds a second project next to the first in the same user folder', async () => {
      const [user, first, second] = [randomUUID(), randomUUID(), randomUUID()];

      await workspace.createProjectDirectory(user, first);
      await workspace.createProjectDirectory(user, second);

      expect((await readdir(join(root, user))).sort()).toEqual([first, second].sort());
      expect((await readdir(root)).sort()).toEqual([user]);
    });

    it.each<[string, (target: string) => Promise<void>]>([
      ['an empty orphan directory', () => Promise.resolve()],
      [
        'an orphan directory with files and folders in it',
        async (target: string) => {
          await mkdir(join(target, 'source', 'src'), { recursive: true });
          await writeFile(join(target, 'source', 'src', 'App.tsx'), 'stale');
          await writeFile(join(target, 'stale.txt'), 'stale');
          await mkdir(join(target, 'builds', '01JDRZ8Q4XK8V1N9E6W3T2Y5B6'), { recursive: true });
        },
      ],
    ])('replaces %s left at the target with an empty one', async (_what, fill) => {
      const [user, project] = [randomUUID(), randomUUID()];
      const target = join(root, user, project);
      await mkdir(target, { recursive: true });
      await fill(target);

      await workspace.createProjectDirectory(user, project);

      expect(await listTree(root)).toEqual([user, `${user}/${project}`]);
    });

    it('creates many projects of one user at once, each of them', async () => {
      const user = randomUUID();
      const projects = Array.from({ length: 20 }, () => randomUUID());

      await Promise.all(projects.map((project) => workspace.createProjectDirectory(user, project)));

      expect(await readdir(root)).toEqual([user]);
      expect((await readdir(join(root, user))).sort()).toEqual([...projects].sort());
    });

    describe("when another request removes the user's folder (its last project rolled back) meanwhile", () => {
      let user: string;
      let project: string;
      let userFolder: string;
      let vanished: number;

      beforeEach(() => {
        [user, project] = [randomUUID(), randomUUID()];
        userFolder = join(root, user);
        vanished = 0;
      });

      /** What Node's recursive mkdir meets when the user's folder goes between its two levels. */
      const vanishingUserFolder = (times: number) => (path: string, made: () => string | undefined) => {
        if (path !== join(userFolder, project) || vanished >= times) return made();
        vanished++;
        const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
        fs.mkdirSync(userFolder, { recursive: true });
        fs.rmdirSync(userFolder);
        throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${path}'`), {
          code: 'ENOENT',
          errno: -2,
          syscall: 'mkdir',
          path,
        });
      };

      it('tries again, and makes the directory', async () => {
        mockAroundMkdir = vanishingUserFolder(1);

        await workspace.createProjectDirectory(user, project);

        expect(vanished).toBe(1);
        expect(await listTree(root)).toEqual([user, `${user}/${project}`]);
      });

      it('gives up after three tries when the folder keeps vanishing, leaving nothing behind', async () => {
        mockAroundMkdir = vanishingUserFolder(Infinity);

        await expect(workspace.createProjectDirectory(user, project)).rejects.toMatchObject({ code: 'ENOENT' });

        expect(vanished).toBe(3);
        expect(await listTree(root)).toEqual([]);
      });
    });

    it.each(BAD_IDS)('refuses the user id %j without touching the filesystem', async (bad) => {
      await expect(workspace.createProjectDirectory(bad, randomUUID())).rejects.toThrow();
      expect(await listTree(sandbox)).toEqual([]);
    });

    it.each(BAD_IDS)('refuses the project id %j without touching the filesystem', async (bad) => {
      await expect(workspace.createProjectDirectory(randomUUID(), bad)).rejects.toThrow();
      expect(await listTree(sandbox)).toEqual([]);
    });

    it('fails, leaving nothing, when the root is a regular file', async () => {
      await writeFile(root, 'not a directory');

      await expect(workspace.createProjectDirectory(randomUUID(), randomUUID())).rejects.toThrow();

      expect(await listTree(sandbox)).toEqual(['projects']);
      expect((await stat(root)).isFile()).toBe(true);
      expect(await readFile(root, 'utf8')).toBe('not a directory');
    });

    it("fails, leaving nothing, when the user's folder is a regular file", async () => {
      const user = randomUUID();
      await mkdir(root);
      await writeFile(join(root, user), 'not a directory');

      await expect(workspace.createProjectDirectory(user, randomUUID())).rejects.toThrow();

      expect(await listTree(root)).toEqual([user]);
      expect(await readFile(join(root, user), 'utf8')).toBe('not a directory');
    });
  });

  describe('ensureBuildLayout', () => {
    it("makes the project's source and builds folders, and keeps what they already hold", async () => {
      const [user, project] = [randomUUID(), randomUUID()];
      await projectWithSource(user, project);

      await workspace.ensureBuildLayout(user, project);

      expect(await listTree(root)).toEqual(
        [
          user,
          `${user}/${project}`,
          `${user}/${project}/builds`,
          `${user}/${project}/source`,
          `${user}/${project}/source/index.html`,
        ].sort(),
      );
    });

    it('does not bring back the directory of a project deleted meanwhile', async () => {
      const [user, project] = [randomUUID(), randomUUID()];
      await workspace.createProjectDirectory(user, project);
      await workspace.removeProjectDirectory(user, project);

      await workspace.ensureBuildLayout(user, project);

      expect(await listTree(sandbox)).toEqual(['projects']);
    });
  });

  describe('removeProjectDirectory', () => {
    it("removes the project and the user's folder it leaves empty", async () => {
      const [user, project] = [randomUUID(), randomUUID()];
      await projectWithSource(user, project);

      await workspace.removeProjectDirectory(user, project);

      expect(await listTree(root)).toEqual([]);
    });

    it("keeps the user's folder and the other project when the user has another", async () => {
      const [user, removed, kept] = [randomUUID(), randomUUID(), randomUUID()];
      await workspace.createProjectDirectory(user, removed);
      await workspace.createProjectDirectory(user, kept);

      await workspace.removeProjectDirectory(user, removed);

      expect(await listTree(root)).toEqual([user, `${user}/${kept}`]);
    });

    it("leaves other users' projects alone", async () => {
      const [user, other, project, othersProject] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await workspace.createProjectDirectory(user, project);
      await workspace.createProjectDirectory(other, othersProject);

      await workspace.removeProjectDirectory(user, project);

      expect(await readdir(root)).toEqual([other]);
      expect(await readdir(join(root, other))).toEqual([othersProject]);
    });

    it('succeeds when the project or the user folder is already gone', async () => {
      const [user, project] = [randomUUID(), randomUUID()];

      await expect(workspace.removeProjectDirectory(user, project)).resolves.toBeUndefined();
      await mkdir(join(root, user), { recursive: true });
      await expect(workspace.removeProjectDirectory(user, project)).resolves.toBeUndefined();

      expect(await listTree(root)).toEqual([]);
    });

    it.each(BAD_IDS)('refuses %j as either id and removes nothing', async (bad) => {
      const [user, project] = [randomUUID(), randomUUID()];
      await workspace.createProjectDirectory(user, project);
      const before = await listTree(sandbox);

      await expect(workspace.removeProjectDirectory(user, bad)).rejects.toThrow();
      await expect(workspace.removeProjectDirectory(bad, project)).rejects.toThrow();

      expect(await listTree(sandbox)).toEqual(before);
    });
  });
});
