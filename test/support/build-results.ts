import { join } from 'node:path';
import { BuildContext, BuildFailedError, Builder } from '../../src/build-worker/builders/builder';
import { eventually } from './processes';
import { CREATE_PATH, createBody } from './requests';
import type { TestApp } from './test-app';

/** The build's failure, or a test failure when it succeeded or threw something else. */
export async function buildFailure(
  builder: Builder,
  context: BuildContext,
  signal?: AbortSignal,
): Promise<BuildFailedError> {
  try {
    await builder.build(context, signal);
  } catch (error) {
    expect(error).toBeInstanceOf(BuildFailedError);
    return error as BuildFailedError;
  }
  throw new Error('expected the build to fail');
}

export interface FinishedBuild {
  readonly projectId: string;
  readonly buildId: string;
  readonly versionId: string;
  readonly finished: { status: string; error: string | null };
  /** The project's `builds/` folder on disk. */
  readonly buildsFolder: string;
}

/** Creates a project with `prompt` through the API and waits until its first build succeeded or failed. */
export async function createAndFinishBuild(t: TestApp, prompt: string): Promise<FinishedBuild> {
  const body = createBody({ prompt });
  const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
  const finished = await eventually(
    `build ${created.buildId} finished`,
    async () => {
      const [row] = await t.db.query<FinishedBuild['finished']>(
        `SELECT status, error FROM project_build_metrics WHERE build_id = $1 AND status IN ('succeeded', 'failed')`,
        [created.buildId],
      );
      return row;
    },
    20_000,
  );
  const buildsFolder = join(t.projectsRoot, body.userId as string, created.projectId as string, 'builds');
  return { ...(created as { projectId: string; buildId: string; versionId: string }), finished, buildsFolder };
}
