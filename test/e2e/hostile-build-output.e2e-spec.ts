import { readdir } from 'node:fs/promises';
import { createAndFinishBuild } from '../support/build-results';
import { FOLDER_CHAIN_BEYOND_PATH_MAX } from '../support/deep-folders';
import { startTestApp, TestApp } from '../support/test-app';

const IS_ROOT = process.getuid?.() === 0;

/**
 * A build script standing in for generated code that tries to publish what a preview must never
 * serve. The prompt names the trick; every build writes an index.html first, so only the trick
 * can be why it fails.
 */
const BUILD_COMMAND = [
  'chain() {',
  FOLDER_CHAIN_BEYOND_PATH_MAX,
  '}',
  'printf "<!doctype html>" > "$OUTPUT_DIR/index.html"',
  'echo "root:x:0:0" > secret.txt',
  'case "$PROMPT" in',
  '  *FIFO*) mkfifo "$OUTPUT_DIR/fifo.txt";;',
  '  *DEVICE*) mknod "$OUTPUT_DIR/null.html" c 1 3;;',
  '  *HARDLINK*) ln secret.txt "$OUTPUT_DIR/leak.html";;',
  '  *SYMLINK*) mkdir "$OUTPUT_DIR/assets" && ln -s /etc/passwd "$OUTPUT_DIR/assets/leak.html";;',
  '  *INNERLINK*) ln -s index.html "$OUTPUT_DIR/home.html";;',
  '  *OUTPUTLINK*) rm -r "$OUTPUT_DIR" && ln -s /etc "$OUTPUT_DIR";;',
  '  *BIG*) head -c 200000 /dev/zero > "$OUTPUT_DIR/big.bin";;',
  '  *MANY*) for i in $(seq 1 30); do : > "$OUTPUT_DIR/f$i.txt"; done;;',
  '  *DEEP*) chain "$OUTPUT_DIR/deep";;',
  'esac',
].join('\n');

/**
 * The publish check must hold on its own (BUILD_SANDBOX=none) and behind the sandbox, where some
 * tricks already fail inside: an unprivileged build cannot make a device node, and its output is
 * a mount of its own, so a hard link from outside it cannot be made, nor the folder replaced.
 */
describe.each([
  [
    'none',
    IS_ROOT ? /holds a device at "null\.html"/ : /mknod/,
    /holds a hard link at "leak\.html"/,
    /left no output folder/,
  ],
  [
    'bubblewrap',
    /mknod: .*Operation not permitted/,
    /Invalid cross-device link/,
    /cannot remove '\/build\/output': Permission denied/,
  ],
])(
  'a build output that may not be published (BUILD_SANDBOX=%s)',
  (sandbox, deviceReason, hardLinkReason, replacedReason) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({
        roles: ['api', 'worker'],
        env: {
          BUILDER: 'command',
          BUILD_SANDBOX: sandbox,
          BUILD_COMMAND,
          BUILD_MAX_ATTEMPTS: '1',
          BUILD_RETRY_DELAY_MS: '0',
          BUILD_OUTPUT_MAX_BYTES: '100000',
          BUILD_OUTPUT_MAX_FILES: '20',
        },
      });
    }, 60_000);
    afterAll(() => t?.close());

    const build = (prompt: string) => createAndFinishBuild(t, prompt);

    it.each([
      ['a FIFO', 'FIFO', /holds a FIFO at "fifo\.txt"/],
      ['a device node', 'DEVICE', deviceReason],
      ['a hard link to a file outside the output', 'HARDLINK', hardLinkReason],
      ['a symlink out of the output', 'SYMLINK', /holds a symbolic link at "assets\/leak\.html"/],
      ['a symlink that stays inside the output', 'INNERLINK', /holds a symbolic link at "home\.html"/],
      ['its output folder replaced by a symlink to /etc', 'OUTPUTLINK', replacedReason],
      ['more bytes than BUILD_OUTPUT_MAX_BYTES', 'BIG', /larger than 100000 bytes/],
      ['more files than BUILD_OUTPUT_MAX_FILES', 'MANY', /more than 20 files and folders/],
      // Removing what such a build left must not fail too, or the build's reason is lost.
      ['a chain of folders deeper than PATH_MAX', 'DEEP', /more than 20 files and folders/],
    ])('fails the build with a clear reason for %s, and publishes nothing', async (_what, trick, reason) => {
      const built = await build(`A site with a ${trick} trick`);

      expect(built.finished.status).toBe('failed');
      expect(built.finished.error).toMatch(reason);
      expect(built.finished.error).not.toContain(t.projectsRoot);
      const versions = await t.db.query(`SELECT version_id FROM project_versions WHERE project_id = $1`, [
        built.projectId,
      ]);
      expect(versions).toEqual([]);
      const [project] = await t.db.query<{ build_status: string; current_version_id: string | null }>(
        `SELECT build_status, current_version_id FROM projects WHERE id = $1`,
        [built.projectId],
      );
      expect(project).toEqual({ build_status: 'failed', current_version_id: null });
      expect(await readdir(built.buildsFolder)).toEqual([]);
      await t.unsigned().get(`/preview/${built.projectId}/${built.versionId}/`).expect(404);
    });

    it('publishes an output of regular files and folders within the limits', async () => {
      const built = await build('A plain site');

      expect(built.finished).toEqual({ status: 'succeeded', error: null });
      expect(await readdir(built.buildsFolder)).toEqual([built.buildId]);
      const response = await t.unsigned().get(`/preview/${built.projectId}/${built.versionId}/`).expect(200);
      expect(response.text).toBe('<!doctype html>');
    });
  },
);
