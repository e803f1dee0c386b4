import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditRun, runAuditCli } from '../support/audit-cli';
import { ageTree } from '../support/integrity-fixtures';
import { eventually } from '../support/processes';
import { CREATE_PATH } from '../support/requests';
import {
  ageRows,
  allBuildsFinished,
  buildRows,
  HttpAnswer,
  networkError,
  openCluster,
  signedRequest,
  terminateBackends,
} from '../support/service-cluster';
import { ApiInstance, ServiceProcesses, WorkerInstance } from '../support/service-processes';
import { TestDatabase } from '../support/test-database';

/**
 * Two APIs and two workers on one database, under load, lose an API and a worker to SIGKILL (the
 * worker in the middle of builds) and then every database connection to `pg_terminate_backend`.
 * Every fourth build is canceled right after its create, racing the workers (ADR 035).
 * The client behaves as a load balancer in front of the APIs would: a request that fails on the
 * network goes to another API, and a `503` or `409 request_in_progress` is retried with the same
 * Idempotency-Key, as docs/contract.md ("Errors") allows.
 */

const LOAD_CONCURRENCY = 8;
/** Every n-th create of the load is followed by a cancel of its build. */
const CANCEL_EVERY = 4;
/** Logical creates per load phase; the kills and the cut happen part-way through. */
const PHASE_CREATES = 120;
/** A create retried more often than this is a service that does not recover. */
const MAX_TRIES = 60;

/** One HTTP exchange as the caller saw it. */
interface Exchange {
  api: string;
  kind: 'create' | 'read' | 'cancel';
  status?: number;
  code?: string;
  /** The network error, when there was no answer. */
  error?: string;
  /** When it ended. */
  at: number;
}

interface Created {
  userId: string;
  projectId: string;
  buildId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('killing processes and cutting database connections under load', () => {
  let db: TestDatabase;
  let projectsRoot: string;
  /** Build markers (which worker ran which attempt) and the gate of `hold` builds. */
  let scratch: string;
  let cluster: ServiceProcesses;

  /** Prompts with `hold` wait until the test opens their gate. */
  const startWorker = (name: string): Promise<WorkerInstance> =>
    cluster.startRecordingWorker(name, `*hold*) until [ -e "${scratch}/open" ]; do sleep 0.05; done;;`);
  const ranBy = (buildId: string): Promise<string[] | undefined> => cluster.workersThatRan(buildId);

  beforeAll(async () => {
    cluster = await openCluster('chaos', {
      BUILD_MAX_ATTEMPTS: '3',
      // A build whose worker died is taken back after this, and retried (ADR 016).
      BUILD_HEARTBEAT_SECONDS: '10',
      BUILD_CONCURRENCY: '2',
      // A create cut off by SIGKILL between its directory and its COMMIT leaves a folder the
      // janitor removes once the grace period is over (ADR 005, 019).
      JANITOR_INTERVAL_MS: '1000',
    });
    ({ db, projectsRoot, scratch } = cluster);
  });

  afterAll(async () => {
    // No `hold` build may wait for its gate while the processes are stopped.
    if (scratch) await writeFile(join(scratch, 'open'), '').catch(() => undefined);
    await cluster?.close();
  });

  it('every caller gets 2xx, 4xx or 503, every build finishes, and the audit is clean', async () => {
    const [api1, api2, worker1] = await Promise.all([
      cluster.startApi('api-1'),
      cluster.startApi('api-2'),
      startWorker('worker-1'),
      startWorker('worker-2'),
    ]);
    const exchanges: Exchange[] = [];
    const created: Created[] = [];
    const cancels: { buildId: string; status: number; code?: string }[] = [];
    /** The APIs a load balancer would route to: one is taken out when a request to it fails on the network. */
    const routed: ApiInstance[] = [api1, api2];
    let turn = 0;
    const pick = (): ApiInstance => {
      if (routed.length === 0) throw new Error(`no API left: ${cluster.exitedUnexpectedly([api1.process]).join('\n')}`);
      return routed[turn++ % routed.length];
    };

    async function send(
      api: ApiInstance,
      kind: Exchange['kind'],
      request: () => Promise<HttpAnswer>,
    ): Promise<HttpAnswer | undefined> {
      try {
        const answer = await request();
        const code = typeof answer.body.code === 'string' ? answer.body.code : undefined;
        exchanges.push({ api: api.name, kind, status: answer.status, code, at: Date.now() });
        return answer;
      } catch (error) {
        exchanges.push({ api: api.name, kind, error: networkError(error), at: Date.now() });
        const index = routed.indexOf(api);
        if (index !== -1) routed.splice(index, 1);
        return undefined;
      }
    }

    /** One intended project: retried on another API or after a 503 with the same key until it is answered. */
    async function createProject(prompt: string): Promise<Created> {
      const userId = randomUUID();
      const key = randomUUID();
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const api = pick();
        const answer = await send(api, 'create', () =>
          signedRequest(api.baseUrl, 'POST', CREATE_PATH, { userId, prompt }, { 'idempotency-key': key }),
        );
        if (answer?.status === 201) {
          const project = {
            userId,
            projectId: answer.body.projectId as string,
            buildId: answer.body.buildId as string,
          };
          created.push(project);
          return project;
        }
        if (answer !== undefined && answer.status !== 503 && answer.body.code !== 'request_in_progress')
          throw new Error(`create answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        await sleep(answer === undefined ? 0 : 100);
      }
      throw new Error(`create for ${userId} not answered after ${MAX_TRIES} tries`);
    }

    /**
     * Cancels the build once, as a caller would, without retrying: whatever it answers (`200`, `409
     * build_finished` when the build ended first, a `503` while the connections are cut) is kept
     * and checked against the build's outcome at the end.
     */
    async function cancelBuild({ userId, buildId }: Created): Promise<void> {
      const api = pick();
      const answer = await send(api, 'cancel', () =>
        signedRequest(api.baseUrl, 'POST', `/v1/builds/${buildId}/cancel`, { userId }),
      );
      if (answer) cancels.push({ buildId, status: answer.status, code: answer.body.code as string | undefined });
    }

    /**
     * Creates, each followed by a read of its build (every CANCEL_EVERY-th by a cancel first),
     * `LOAD_CONCURRENCY` at a time; `at(n)` runs after the n-th.
     */
    async function load(creates: number, at: Record<number, () => void>): Promise<void> {
      let started = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: LOAD_CONCURRENCY }, async () => {
          while (started < creates) {
            started++;
            const project = await createProject(`todo app ${started}`);
            at[++done]?.();
            if (done % CANCEL_EVERY === 0) await cancelBuild(project);
            const api = pick();
            await send(api, 'read', () =>
              signedRequest(api.baseUrl, 'GET', `/v1/builds/${project.buildId}?userId=${project.userId}`),
            );
          }
        }),
      );
    }

    // Four builds that run until the gate opens fill both workers (two builds each).
    const held = await Promise.all([0, 1, 2, 3].map((i) => createProject(`hold app ${i}`)));
    const holders = await Promise.all(
      held.map(({ buildId }) => eventually(`build ${buildId} started`, () => ranBy(buildId), 60_000)),
    );
    const heldByWorker1 = held.filter((_build, i) => holders[i][0] === 'worker-1').map(({ buildId }) => buildId);
    expect(heldByWorker1).toHaveLength(2);

    // Phase 1: SIGKILL worker-1 in the middle of its two builds, then api-1 with requests in flight.
    let api1KilledAt = Infinity;
    let replacements: Promise<[ApiInstance, WorkerInstance]> | undefined;
    await load(PHASE_CREATES, {
      30: () => {
        worker1.process.signal('SIGKILL');
        void worker1.process.exited.then(() => writeFile(join(scratch, 'open'), ''));
      },
      60: () => {
        api1KilledAt = Date.now();
        api1.process.signal('SIGKILL');
        replacements = Promise.all([cluster.startApi('api-3'), startWorker('worker-3')]);
      },
    });
    const [api3] = await replacements!;
    routed.push(api3);
    expect(routed.map(({ name }) => name)).toEqual(['api-2', 'api-3']);

    // Phase 2: every connection of every process to the database is cut at once, under load, and
    // again and again while the pools reconnect (a backend cut as it becomes ready is the hardest case).
    const cuts: number[] = [];
    let cutting: Promise<void> | undefined;
    let stopCutting = false;
    try {
      await load(PHASE_CREATES, {
        20: () => {
          cutting = (async () => {
            while (!stopCutting) {
              cuts.push(await terminateBackends(db));
              await sleep(50);
            }
          })();
        },
        80: () => void (stopCutting = true),
      });
    } finally {
      stopCutting = true;
      await cutting;
    }
    // The first time, every live process held connections (its pools, pg-boss's LISTEN): all were cut.
    expect(cuts[0]).toBeGreaterThanOrEqual(4);
    expect(cuts.length).toBeGreaterThanOrEqual(5);

    // Nothing but the two killed processes went down.
    expect(cluster.exitedUnexpectedly([api1.process, worker1.process])).toEqual([]);

    // Callers saw only 2xx, 4xx or 503; network errors only from the killed API, after its kill.
    const answered = exchanges.filter((exchange) => exchange.status !== undefined);
    expect(answered.filter(({ status }) => !(status! < 500 || status === 503))).toEqual([]);
    const failed = exchanges.filter((exchange) => exchange.error !== undefined);
    expect(failed.filter(({ api, at }) => api !== 'api-1' || at < api1KilledAt)).toEqual([]);

    // Recovered: both live APIs create again at the first try.
    const afterwards = await Promise.all(
      [api2, api3].flatMap((api) =>
        Array.from({ length: 5 }, async () => {
          const body = { userId: randomUUID(), prompt: 'after the storm' };
          const answer = await signedRequest(api.baseUrl, 'POST', CREATE_PATH, body);
          if (answer.status === 201)
            created.push({
              userId: body.userId,
              projectId: answer.body.projectId as string,
              buildId: answer.body.buildId as string,
            });
          return answer.status;
        }),
      ),
    );
    expect(afterwards).toEqual(Array(10).fill(201));

    // Exactly one project per intended create: no answer lost a commit, no retry made a second one.
    const projects = await db.query<{ id: string; owner_id: string }>(`SELECT id, owner_id FROM projects`);
    expect(projects.map(({ id, owner_id }) => `${owner_id}/${id}`).sort()).toEqual(
      created.map(({ userId, projectId }) => `${userId}/${projectId}`).sort(),
    );

    // Every build finishes with one outcome, billed once; the ones worker-1 died in were retried.
    await allBuildsFinished(db, 180_000);
    const builds = await buildRows(db);
    expect(builds).toHaveLength(created.length);
    const outcome: Record<string, object> = {
      succeeded: { error: null, versions: 1, session: 'closed', debits: 1 },
      failed: { error: expect.any(String), versions: 0, session: 'closed', debits: 1 },
      canceled: { error: null, versions: 0, session: 'closed', debits: 1 },
    };
    for (const build of builds) {
      expect(Object.keys(outcome)).toContain(build.status);
      expect(build).toMatchObject(outcome[build.status]);
    }
    // A cancel answered 200 canceled its build; one answered 409 build_finished came after the outcome.
    const statusOf = new Map(builds.map((build) => [build.build_id, build.status]));
    for (const { buildId, status, code } of cancels) {
      if (status === 200) expect({ buildId, status: statusOf.get(buildId) }).toEqual({ buildId, status: 'canceled' });
      if (code === 'build_finished') expect(['succeeded', 'failed']).toContain(statusOf.get(buildId));
    }
    expect(cancels.filter(({ status }) => status === 200).length).toBeGreaterThan(0);
    for (const buildId of heldByWorker1) {
      expect(builds.find((build) => build.build_id === buildId)).toMatchObject({ status: 'succeeded' });
      const [first, ...retries] = (await ranBy(buildId))!;
      expect(first).toBe('worker-1');
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries.every((worker) => worker !== 'worker-1')).toBe(true);
    }

    // Once the grace period is over (rows and folders aged), the janitor's round leaves it clean.
    await ageRows(db);
    await ageTree(projectsRoot);
    let audit: AuditRun | undefined;
    for (let run = 0; run < 5 && audit?.code !== 0; run++) {
      if (run > 0) await sleep(2000);
      audit = await runAuditCli({ DATABASE_URL: db.url, PROJECTS_ROOT: projectsRoot });
    }
    expect(audit).toMatchObject({ code: 0, stderr: '' });
  }, 600_000);
});
