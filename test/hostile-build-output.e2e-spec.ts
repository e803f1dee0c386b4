import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CREATE_PATH, createBody } from './support/requests';
import { eventually } from './support/processes';
import { startTestApp, TestApp } from './support/test-app';

const IS_ROOT = process.getuid?.() === 0;

/**
 * A build script standing in for generated code that tries to publish what a preview must never
 * serve. The prompt names the trick; every build writes an index.html first, so only the trick
 * can be why it fails.
 */
const BUILD_COMMAND = [
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
  'esac',
].join('\n');

interface FinishedBuild {
  status: string;
  error: string | null;
}

describe('a build output that may not be published', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      roles: ['api', 'worker'],
      env: {
        BUILDER: 'command',
        BUILD_COMMAND,
        BUILD_MAX_ATTEMPTS: '1',
        BUILD_RETRY_DELAY_MS: '0',
        BUILD_OUTPUT_MAX_BYTES: '100000',
        BUILD_OUTPUT_MAX_FILES: '20',
      },
    });
  }, 60_000);
  afterAll(() => t?.close());

  async function build(prompt: string) {
    const body = createBody({ prompt });
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
    const finished = await eventually(
      `build ${created.buildId} finished`,
      async () => {
        const [row] = await t.db.query<FinishedBuild>(
          `SELECT status, error FROM project_build_metrics WHERE build_id = $1 AND status IN ('succeeded', 'failed')`,
          [created.buildId],
        );
        return row;
      },
      20_000,
    );
    const buildsFolder = join(t.projectsRoot, body.userId as string, created.projectId as string, 'builds');
    return { ...created, finished, buildsFolder } as {
      projectId: string;
      buildId: string;
      versionId: string;
      finished: FinishedBuild;
      buildsFolder: string;
    };
  }

  it.each([
    ['a FIFO', 'FIFO', /holds a FIFO at "fifo\.txt"/],
    ['a device node', 'DEVICE', IS_ROOT ? /holds a device at "null\.html"/ : /mknod/],
    ['a hard link to a file outside the output', 'HARDLINK', /holds a hard link at "leak\.html"/],
    ['a symlink out of the output', 'SYMLINK', /holds a symbolic link at "assets\/leak\.html"/],
    ['a symlink that stays inside the output', 'INNERLINK', /holds a symbolic link at "home\.html"/],
    ['its output folder replaced by a symlink to /etc', 'OUTPUTLINK', /left no output folder/],
    ['more bytes than BUILD_OUTPUT_MAX_BYTES', 'BIG', /larger than 100000 bytes/],
    ['more files than BUILD_OUTPUT_MAX_FILES', 'MANY', /more than 20 files and folders/],
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
});
