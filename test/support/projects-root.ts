import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectDirectoriesService } from '../../src/workspace/project-directories.service';
import { removeTree } from '../../src/workspace/remove-tree';

/** A test's PROJECTS_ROOT: `projects` (not made yet) in a temporary `sandbox` folder, and its directories. */
export interface ProjectsRoot {
  sandbox: string;
  root: string;
  directories: ProjectDirectoriesService;
}

/** A fresh ProjectsRoot for each test of the suite, removed after it whatever it holds; read its fields inside the tests. */
export function useProjectsRoot(): ProjectsRoot {
  const current = {} as ProjectsRoot;
  beforeEach(async () => {
    current.sandbox = await mkdtemp(join(tmpdir(), 'sheen-projects-root-'));
    current.root = join(current.sandbox, 'projects');
    current.directories = new ProjectDirectoriesService({ projectsRoot: current.root });
  });
  afterEach(() => removeTree(current.sandbox));
  return current;
}
