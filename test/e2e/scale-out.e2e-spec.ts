import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAuditCli } from '../support/audit-cli';
import { ageTree } from '../support/integrity-fixtures';
import { eventually } from '../support/processes';
import { CREATE_PATH } from '../support/requests';
import {
  ageRows,
  allBuildsFinished,
  buildRows,
  HttpAnswer,
  openCluster,
  runBounded,
  signedRequest,
} from '../support/service-cluster';
import { ApiInstance, BOOT_MS, ServiceProcesses } from '../support/service-processes';
import { EventStream } from '../support/sse';
import { TEST_SECRET } from '../support/signing';
import { TestDatabase } from '../support/test-database';

/**
 * Scaled out as in production: two `start:api` processes and two `start:worker` processes on one
 * database and one projects root. Creates are spread over both APIs, double-click storms hit both
 * at once, every build is run by one of the workers, and build status streams on one API follow
 * builds the workers run.
 */

const SINGLE_CREATES = 400;
const STORMS = 10;
/** Each storm: this many identical requests, half to each API, all at once. */
const STORM_SIZE = 10;
const LOAD_CONCURRENCY = 12;
const WORKER_NAMES = ['worker-1', 'worker-2'];

interface Created {
  projectId: string;
  buildId: string;
  userId: string;
  prompt: string;
}

describe('two API and two worker processes on one database', () => {
  let db: TestDatabase;
  let projectsRoot: string;
  /** Build markers (which worker ran which attempt) and the gates of `gated` builds. */
  let scratch: string;
  let cluster: ServiceProcesses;
  let apis: ApiInstance[];
  /** Every build the tests created, with what its prompt makes of it. */
  const created: Created[] = [];

  const ranBy = async (buildId: string): Promise<string[]> => (await cluster.workersThatRan(buildId)) ?? [];

  beforeAll(async () => {
    cluster = await openCluster('scale-out', {
      BUILD_MAX_ATTEMPTS: '2',
      BUILD_HEARTBEAT_SECONDS: '10',
      BUILD_CONCURRENCY: '4',
      // Nothing here may need repairing: the audit judges what the service left, unrepaired.
      JANITOR_INTERVAL_MS: '0',
    });
    ({ db, projectsRoot, scratch } = cluster);
    // Prompts with `broken` fail, `gated` ones wait for their gate file.
    const cases =
      `*broken*) echo "broken on purpose" >&2; exit 3;; ` +
      `*gated*) until [ -e "${scratch}/$BUILD_ID.open" ]; do sleep 0.05; done;;`;
    // In parallel: each boot alone takes tens of seconds here.
    [apis] = await Promise.all([
      Promise.all(['api-1', 'api-2'].map((name) => cluster.startApi(name))),
      Promise.all(WORKER_NAMES.map((name) => cluster.startRecordingWorker(name, cases))),
    ]);
  }, BOOT_MS + 30_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const create = (api: ApiInstance, body: Record<string, unknown>, key?: string): Promise<HttpAnswer> =>
    signedRequest(api.baseUrl, 'POST', CREATE_PATH, body, key === undefined ? {} : { 'idempotency-key': key });

  it('500 creates over both APIs: one project per create and per double-click storm, every build run once to its outcome', async () => {
    const singles: { api: string; answer: HttpAnswer; body: Record<string, unknown> }[] = [];
    const storms: { keyed: boolean; userId: string; answers: { api: string; answer: HttpAnswer }[] }[] = [];

    const singleTasks = Array.from({ length: SINGLE_CREATES }, (_, i) => async () => {
      const api = apis[i % 2];
      // Every tenth build fails; half the creates carry an Idempotency-Key, as the NextJS app's do.
      const body = { userId: randomUUID(), prompt: i % 10 === 0 ? `broken app ${i}` : `todo app ${i}` };
      const answer = await create(api, body, i % 4 < 2 ? randomUUID() : undefined);
      singles.push({ api: api.name, answer, body });
    });
    // Same user, same body, and for half the storms the same key: half the clicks to each API at once.
    const stormTasks = Array.from({ length: STORMS }, (_, i) => async () => {
      const keyed = i % 2 === 0;
      const body = { userId: randomUUID(), prompt: `double-clicked app ${i}` };
      const key = keyed ? randomUUID() : undefined;
      const answers = await Promise.all(
        Array.from({ length: STORM_SIZE }, async (_click, click) => {
          const api = apis[click % 2];
          return { api: api.name, answer: await create(api, body, key) };
        }),
      );
      storms.push({ keyed, userId: body.userId, answers });
    });
    // Storms spread through the load rather than all at its start.
    const tasks = [...singleTasks];
    stormTasks.forEach((storm, i) => tasks.splice(Math.floor(((i + 0.5) * SINGLE_CREATES) / STORMS) + i, 0, storm));
    await runBounded(tasks, LOAD_CONCURRENCY);

    // Every single create made its own project, on whichever API it was sent to.
    expect(singles.filter(({ answer }) => answer.status !== 201)).toEqual([]);
    for (const { answer, body } of singles) {
      expect(answer.body).toMatchObject({ success: true, status: 'queued', idSource: 'server' });
      created.push({
        projectId: answer.body.projectId as string,
        buildId: answer.body.buildId as string,
        userId: body.userId as string,
        prompt: body.prompt as string,
      });
    }

    // Each storm: one create, every other click answered with that same project.
    expect(storms).toHaveLength(STORMS);
    for (const { keyed, userId, answers } of storms) {
      const first = answers.filter(({ answer }) => answer.status === 201 && !answer.headers.has('idempotent-replayed'));
      expect(first).toHaveLength(1);
      const { projectId, buildId } = first[0].answer.body as { projectId: string; buildId: string };
      for (const { answer } of answers) {
        expect(answer.body).toMatchObject({ projectId, buildId });
        if (answer === first[0].answer) continue;
        if (keyed) {
          expect(answer.status).toBe(201);
          expect(answer.headers.get('idempotent-replayed')).toBe('true');
        } else {
          expect(answer.status).toBe(200);
          expect(answer.body.deduplicated).toBe(true);
        }
      }
      const projects = await db.query(`SELECT id FROM projects WHERE owner_id = $1`, [userId]);
      expect(projects).toEqual([{ id: projectId }]);
      created.push({ projectId, buildId, userId, prompt: 'double-clicked app' });
    }
    // Both APIs created projects, and storms were answered by both.
    expect(new Set(singles.map(({ api }) => api))).toEqual(new Set(['api-1', 'api-2']));
    expect(new Set(storms.flatMap(({ answers }) => answers.map(({ api }) => api)))).toEqual(
      new Set(['api-1', 'api-2']),
    );

    // A project exactly for each create answered 201 without a replay, and nothing else.
    const projectIds = (await db.query<{ id: string }>(`SELECT id FROM projects`)).map((row) => row.id);
    expect(projectIds.sort()).toEqual(created.map(({ projectId }) => projectId).sort());

    await allBuildsFinished(db, 180_000);
    const outcomes = new Map((await buildRows(db)).map((row) => [row.build_id, row]));
    expect(outcomes.size).toBe(created.length);
    const runs = new Map<string, number>();
    for (const { buildId, prompt } of created) {
      const broken = prompt.startsWith('broken');
      // Succeeded on the first attempt, or failed after the last: no attempt was run twice or lost.
      expect({ buildId, ...outcomes.get(buildId) }).toMatchObject(
        broken
          ? { status: 'failed', attempts: 2, error: expect.stringMatching(/broken on purpose/), versions: 0 }
          : { status: 'succeeded', attempts: 1, error: null, versions: 1 },
      );
      expect(outcomes.get(buildId)).toMatchObject({ session: 'closed', debits: 1 });
      const workersOfBuild = await ranBy(buildId);
      expect(workersOfBuild).toHaveLength(broken ? 2 : 1);
      for (const worker of workersOfBuild) runs.set(worker, (runs.get(worker) ?? 0) + 1);
    }
    // Both workers took builds off the one queue.
    expect([...runs.keys()].sort()).toEqual(WORKER_NAMES);
  }, 300_000);

  it("streams a build's status from either API while a worker process runs it, one of the user's builds at a time", async () => {
    const userId = randomUUID();
    const gated = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const answer = await create(apis[i % 2], { userId, prompt: `gated app ${i}` });
        expect(answer.status).toBe(201);
        const buildId = answer.body.buildId as string;
        created.push({ projectId: answer.body.projectId as string, buildId, userId, prompt: 'gated' });
        // Watched on the API that did not create it, and on the one that did.
        const streams = await Promise.all(
          apis.map((api) =>
            EventStream.open(api.baseUrl, `/v1/builds/${buildId}/events?userId=${userId}`, TEST_SECRET),
          ),
        );
        return { buildId, streams };
      }),
    );
    // A queued build is sent again as its place in line moves (ADR 038): each status once, in order.
    const statuses = (stream: EventStream) =>
      stream
        .dataOf<{ status: string }>('status')
        .map(({ status }) => status)
        .filter((status, i, all) => status !== all[i - 1]);
    const running = () =>
      db.query<{ build_id: string }>(
        `SELECT build_id FROM project_build_metrics WHERE build_id = ANY($1) AND status = 'running'`,
        [gated.map(({ buildId }) => buildId)],
      );
    try {
      // BUILDS_PER_USER=1 across both workers, 8 slots between them: the user's builds run in turn.
      for (let turn = 0; turn < gated.length; turn++) {
        const [{ build_id: buildId }] = await eventually(
          'one of the user’s builds running',
          async () => {
            const rows = await running();
            return rows.length > 0 ? rows : undefined;
          },
          60_000,
        );
        // Time for either worker's next poll: none may start another of the user's builds.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect((await running()).map((row) => row.build_id)).toEqual([buildId]);
        const { streams } = gated.find((build) => build.buildId === buildId)!;
        for (const stream of streams)
          await stream.waitFor('running', () => statuses(stream).includes('running'), 30_000);
        await writeFile(join(scratch, `${buildId}.open`), '');
        for (const stream of streams) {
          await stream.endedByServer(30_000);
          // From the status it was opened in to the end, each once and in order.
          expect(['queued', 'running', 'succeeded'].slice(-statuses(stream).length)).toEqual(statuses(stream));
          expect(stream.data<{ buildId: string; attempts: number }>().at(-1)).toMatchObject({ buildId, attempts: 1 });
          expect(stream.events.at(-1)!.type).toBe('status');
        }
        expect(WORKER_NAMES).toContain((await ranBy(buildId))[0]);
      }
    } finally {
      for (const { buildId, streams } of gated) {
        await writeFile(join(scratch, `${buildId}.open`), '');
        streams.forEach((stream) => stream.close());
      }
    }
  }, 300_000);

  it('leaves nothing for the integrity audit to find, once its grace period is over', async () => {
    await allBuildsFinished(db, 60_000);
    // No process fell over on the way.
    expect(cluster.exitedUnexpectedly()).toEqual([]);
    await ageRows(db);
    await ageTree(projectsRoot);

    const audit = await runAuditCli({ DATABASE_URL: db.url, PROJECTS_ROOT: projectsRoot });

    expect(audit).toMatchObject({ code: 0, stderr: '' });
    expect(audit.stdout).toMatch(/^clean: no findings/);
    // The audit judged every project rather than sparing them as fresh.
    const [{ projects }] = await db.query<{ projects: number }>(
      `SELECT count(*)::int AS projects FROM projects WHERE created_at < now() - interval '5 minutes'`,
    );
    expect(projects).toBe(created.length);
  }, 120_000);
});
