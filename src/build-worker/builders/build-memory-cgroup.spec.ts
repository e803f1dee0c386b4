import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCgroups } from './build-memory-cgroup';

/** Where there is no cgroup to write; the real ones are tried in test/e2e/build-sandbox.e2e-spec.ts. */
describe('MemoryCgroups', () => {
  let scratch: string;
  const procSelfCgroup = (text: string) => {
    const path = join(scratch, 'cgroup');
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'sheen-cgroups-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds none where there is no memory cgroup, or it cannot be written', () => {
    expect(MemoryCgroups.detect(join(scratch, 'no-such-file'), scratch)).toBeUndefined();
    expect(MemoryCgroups.detect(procSelfCgroup('4:memory:/missing\n'), join(scratch, 'fs'))).toBeUndefined();
  });
});
