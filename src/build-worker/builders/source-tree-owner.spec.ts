import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useProjectsRoot } from '../../../test/support/projects-root';
import { handTreeTo } from './source-tree-owner';

/** The sandbox's user as root; as anyone else, only oneself can be handed a file. */
const UID = process.getuid?.() === 0 ? 65534 : process.getuid!();

describe('handTreeTo', () => {
  const temporary = useProjectsRoot();
  const tree = () => temporary.sandbox;

  it('hands over files whose names are not UTF-8, by their bytes', async () => {
    await mkdir(join(tree(), 'src'));
    // 0xff is never UTF-8: as a string the name would read back as U+FFFD, a file that is not there.
    const oddName = Buffer.concat([Buffer.from(join(tree(), 'src', 'bad')), Buffer.from([0xff])]);
    await writeFile(oddName, 'x');

    await handTreeTo(tree(), UID);

    expect((await lstat(oddName)).uid).toBe(UID);
    expect((await lstat(join(tree(), 'src'))).uid).toBe(UID);
  });

  it('stops when its limit has passed, with the limit as the reason', async () => {
    await writeFile(join(tree(), 'index.html'), 'x');
    const limit = AbortSignal.abort(new DOMException('the build ran out of time', 'TimeoutError'));

    await expect(handTreeTo(tree(), UID, limit)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
