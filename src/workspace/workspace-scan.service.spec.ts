import { randomUUID } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useProjectsRoot } from '../../test/support/projects-root';
import { WorkspaceScanService } from './workspace-scan.service';

const BUILD = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';

describe('WorkspaceScanService', () => {
  const projectsRoot = useProjectsRoot();
  const scanner = () => new WorkspaceScanService({ projectsRoot: projectsRoot.root }, projectsRoot.directories);

  it('finds nothing under a root that is not there', async () => {
    expect(await scanner().listRoot()).toEqual({ projects: [], unexpected: [] });
  });

  it('lists project folders, and everything else under the root as unexpected, never following a symlink', async () => {
    const { sandbox, root, directories } = projectsRoot;
    const [user, project] = [randomUUID(), randomUUID()];
    await directories.createProjectDirectory(user, project);
    await writeFile(join(root, 'stray.txt'), '');
    await mkdir(join(root, user, 'not-a-project'));
    await symlink(sandbox, join(root, randomUUID()));

    const listing = await scanner().listRoot();

    expect(listing.projects).toEqual([{ userId: user, projectId: project, modifiedAt: expect.anything() }]);
    expect(listing.unexpected).toHaveLength(3);
    expect(listing.unexpected).toContain(join(user, 'not-a-project'));
  });

  it("lists a project's published outputs, attempt folders and anything else", async () => {
    const { root, directories } = projectsRoot;
    const [user, project] = [randomUUID(), randomUUID()];
    await directories.createProjectDirectory(user, project);
    await directories.ensureBuildLayout(user, project);
    const builds = directories.buildsDirectory(user, project);
    await mkdir(join(builds, BUILD));
    await mkdir(join(builds, `.attempt-${BUILD}-2`));
    await writeFile(join(builds, 'stray'), '');
    await writeFile(join(root, user, project, 'stray'), '');

    expect(await scanner().listProjectContents(user, project)).toEqual({
      published: [BUILD],
      attempts: [{ buildId: BUILD, attempt: 2, modifiedAt: expect.anything() }],
      unexpected: expect.arrayContaining([join(user, project, 'stray'), join(user, project, 'builds', 'stray')]),
    });
  });
});
