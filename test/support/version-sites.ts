import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from './processes';
import { CREATE_PATH, createBody } from './requests';
import type { TestApp } from './test-app';

/** A folder named like a ULID, at the top of every output and inside `assets/`. */
export const ULID_NAMED = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/**
 * A command builder whose every version's files say which version they are: `index.html` is
 * `<p>VERSION_ID</p>`, `pages/about.html` is `about VERSION_ID`, and each `ULID_NAMED/page.html`
 * says where it is. A prompt with WAIT holds the build until the test releases it
 * (`releaseBuild`); one with FAIL fails it.
 */
export const VERSION_SITES_ENV = {
  BUILDER: 'command',
  BUILD_MAX_ATTEMPTS: '1',
  BUILD_RETRY_DELAY_MS: '0',
  BUILD_COMMAND: [
    'case "$PROMPT" in *WAIT*) until [ -e "release-$BUILD_ID" ]; do sleep 0.1; done;; esac',
    'case "$PROMPT" in *FAIL*) echo broken >&2; exit 1;; esac',
    `mkdir -p "$OUTPUT_DIR/pages" "$OUTPUT_DIR/${ULID_NAMED}" "$OUTPUT_DIR/assets/${ULID_NAMED}"`,
    'printf "<p>%s</p>" "$VERSION_ID" > "$OUTPUT_DIR/index.html"',
    'printf "about %s" "$VERSION_ID" > "$OUTPUT_DIR/pages/about.html"',
    `printf "top %s" "$VERSION_ID" > "$OUTPUT_DIR/${ULID_NAMED}/page.html"`,
    `printf "nested %s" "$VERSION_ID" > "$OUTPUT_DIR/assets/${ULID_NAMED}/page.html"`,
  ].join('\n'),
};

export interface QueuedBuild {
  buildId: string;
  versionId: string;
}

export interface SiteProject {
  userId: string;
  projectId: string;
}

/** The build's status once it is one of `statuses`. */
export function buildReaches(t: TestApp, buildId: string, statuses: string[]): Promise<string> {
  return eventually(
    `build ${buildId} ${statuses.join(' or ')}`,
    async () => {
      const [row] = await t.db.query<{ status: string }>(
        `SELECT status FROM project_build_metrics WHERE build_id = $1`,
        [buildId],
      );
      return statuses.includes(row.status) ? row.status : undefined;
    },
    20_000,
  );
}

/** Creates a project (its first build started with `prompt`) and waits for the build to end. */
export async function createSite(t: TestApp, prompt: string): Promise<SiteProject & QueuedBuild & { status: string }> {
  const body = createBody({ prompt });
  const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
  const status = await buildReaches(t, created.buildId as string, ['succeeded', 'failed']);
  const { projectId, buildId, versionId } = created as SiteProject & QueuedBuild;
  return { userId: body.userId as string, projectId, buildId, versionId, status };
}

/** Queues an update of the project; it runs on the test's worker. */
export async function queueUpdate(t: TestApp, project: SiteProject, prompt: string): Promise<QueuedBuild> {
  const { body } = await t
    .http()
    .post('/v1/update-project')
    .send({ userId: project.userId, projectId: project.projectId, prompt })
    .expect(202);
  return body as QueuedBuild;
}

/** Updates the project and waits until the build succeeded: its version is the project's new one. */
export async function updateSite(t: TestApp, project: SiteProject, prompt: string): Promise<QueuedBuild> {
  const queued = await queueUpdate(t, project, prompt);
  expect(await buildReaches(t, queued.buildId, ['succeeded', 'failed'])).toBe('succeeded');
  return queued;
}

/** Lets a build whose prompt says WAIT go on (the marker it waits for, in the project's `source/`). */
export async function releaseBuild(t: TestApp, project: SiteProject, buildId: string): Promise<void> {
  await writeFile(join(t.projectsRoot, project.userId, project.projectId, 'source', `release-${buildId}`), '');
}

/** `/preview/<projectId>/<path>`: the project's stable URL. */
export const livePath = (project: SiteProject, path = ''): string => `/preview/${project.projectId}/${path}`;

/** `/preview/<projectId>/<versionId>/<path>`: a version's own URL. */
export const versionPath = (project: SiteProject, versionId: string, path = ''): string =>
  `/preview/${project.projectId}/${versionId}/${path}`;
