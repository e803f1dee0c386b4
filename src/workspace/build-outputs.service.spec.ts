import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listTree } from '../../test/support/persisted-state';
import { useProjectsRoot } from '../../test/support/projects-root';
import { BuildOutputsService } from './build-outputs.service';

const BUILD = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';

describe('BuildOutputsService', () => {
  const projectsRoot = useProjectsRoot();
  let root: string;
  let outputs: BuildOutputsService;
  let user: string;
  let project: string;

  beforeEach(async () => {
    const { directories } = projectsRoot;
    root = projectsRoot.root;
    outputs = new BuildOutputsService(directories);
    [user, project] = [randomUUID(), randomUUID()];
    await directories.createProjectDirectory(user, project);
    await directories.ensureBuildLayout(user, project);
  });

  async function writeAttempt(attempt: number): Promise<void> {
    const directory = outputs.attemptOutputDirectory(user, project, BUILD, attempt);
    await mkdir(directory);
    await writeFile(join(directory, 'index.html'), `attempt ${attempt}`);
  }

  it('puts an attempt in a hidden folder beside the published output', () => {
    expect(outputs.attemptOutputDirectory(user, project, BUILD, 2)).toBe(
      join(root, user, project, 'builds', `.attempt-${BUILD}-2`),
    );
    expect(outputs.buildOutputPath(BUILD)).toBe(join('builds', BUILD));
  });

  it.each([0, -1, 1.5])('refuses the attempt number %j', (attempt) => {
    expect(() => outputs.attemptOutputDirectory(user, project, BUILD, attempt)).toThrow(TypeError);
  });

  it('refuses a build id that is not a ULID', () => {
    expect(() => outputs.buildOutputPath('../x')).toThrow(TypeError);
    expect(() => outputs.attemptOutputDirectory(user, project, '../x', 1)).toThrow(TypeError);
  });

  it('publishes an attempt over a leftover output, and its undo moves it back', async () => {
    await writeAttempt(1);
    await mkdir(join(root, user, project, 'builds', BUILD, 'stale'), { recursive: true });

    const undo = await outputs.publishAttemptOutput(user, project, BUILD, 1);
    expect(await readFile(join(root, user, project, 'builds', BUILD, 'index.html'), 'utf8')).toBe('attempt 1');

    await undo();
    expect(await listTree(join(root, user, project, 'builds'))).toEqual([
      `.attempt-${BUILD}-1`,
      `.attempt-${BUILD}-1/index.html`,
    ]);
  });

  it("removes the build's unpublished attempts only", async () => {
    await writeAttempt(1);
    await writeAttempt(2);
    await mkdir(join(root, user, project, 'builds', '.attempt-01JDRZ8Q4XK8V1N9E6W3T2Y5B7-1'));

    await outputs.removeAttemptOutputs(user, project, BUILD);

    expect(await listTree(join(root, user, project, 'builds'))).toEqual(['.attempt-01JDRZ8Q4XK8V1N9E6W3T2Y5B7-1']);
  });
});
