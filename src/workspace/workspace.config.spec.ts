// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { isAbsolute, join } from 'node:path';
import { WorkspaceConfig } from './workspace.config';

const projectsRoot = (value?: string) =>
  WorkspaceConfig.fromEnv(value === undefined ? {} : { PROJECTS_ROOT: value }).projectsRoot;

describe('WorkspaceConfig', () => {
  describe('PROJECTS_ROOT', () => {
    it('resolves a relative path against the working directory', () => {
      const root = projectsRoot('data/projects');

      expect(isAbsolute(root)).toBe(true);
      expect(root).toBe(join(process.cwd(), 'data/projects'));
    });

    it('normalises dot segments and trailing slashes', () => {
      expect(projectsRoot('./a/../b/./c/')).toBe(join(process.cwd(), 'b/c'));
      expect(projectsRoot('/srv//projects/')).toBe('/srv/projects');
    });

    it('keeps an absolute path', () => {
      expect(projectsRoot('/var/lib/sheen/projects')).toBe('/var/lib/sheen/projects');
    });

    it('defaults to an absolute .data/projects', () => {
      const root = projectsRoot();

      expect(isAbsolute(root)).toBe(true);
      expect(root).toBe(join(process.cwd(), '.data', 'projects'));
    });
  });
});
