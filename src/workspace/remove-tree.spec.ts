import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFolderChainBeyondPathMax } from '../../test/support/deep-folders';
import { useProjectsRoot } from '../../test/support/projects-root';
import { removeTree } from './remove-tree';

describe('removeTree', () => {
  const temporary = useProjectsRoot();

  it('removes a folder with files and folders in it', async () => {
    const tree = join(temporary.sandbox, 'tree');
    await mkdir(join(tree, 'a', 'b'), { recursive: true });
    await writeFile(join(tree, 'a', 'b', 'index.html'), 'x');

    await removeTree(tree);

    expect(existsSync(tree)).toBe(false);
  });

  it('removes a chain of folders deeper than PATH_MAX, which Node’s rm cannot', async () => {
    const tree = join(temporary.sandbox, 'tree');
    await mkdir(tree);
    await makeFolderChainBeyondPathMax(join(tree, 'deep'));
    await expect(rm(tree, { recursive: true, force: true })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });

    await removeTree(tree);

    expect(existsSync(tree)).toBe(false);
  });

  it('removes symbolic links in the tree, not what they point to, however deep the tree', async () => {
    const outside = join(temporary.sandbox, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'kept.txt'), 'kept');
    const tree = join(temporary.sandbox, 'tree');
    await mkdir(tree);
    await symlink(outside, join(tree, 'link'));
    await makeFolderChainBeyondPathMax(join(tree, 'deep'));

    await removeTree(tree);

    expect(existsSync(tree)).toBe(false);
    expect(await readFile(join(outside, 'kept.txt'), 'utf8')).toBe('kept');
  });

  it('does nothing when the folder is gone', async () => {
    await expect(removeTree(join(temporary.sandbox, 'never-made'))).resolves.toBeUndefined();
  });
});
