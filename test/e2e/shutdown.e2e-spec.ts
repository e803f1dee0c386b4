import { randomUUID } from 'node:crypto';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { listTree } from '../support/persisted-state';
import { CREATE_PATH } from '../support/requests';
import { networkError } from '../support/service-cluster';
import { ServiceProcesses } from '../support/service-processes';
import { signed, TEST_SECRET } from '../support/signing';

/** What one request came to: its status, or the code of the network error that ended it. */
interface Answer {
  status?: number;
  error?: string;
  /** Sent after SIGTERM. */
  late: boolean;
  /** Of a 201. */
  projectId?: string;
}

const DRAIN_MS = 2000;
const LOAD_CONNECTIONS = 6;

describe('shutting the service process down under load', () => {
  let services: ServiceProcesses;

  beforeAll(async () => {
    services = await ServiceProcesses.open('shutdown');
  });
  afterAll(() => services?.close());

  it('drains, answers every request it accepted, lets builds finish, leaves nothing half-written and exits 0', async () => {
    // ts-node transpiles src/ as it boots: on 2 busy cores that alone can take well over 20 s.
    const { process: service, baseUrl: base } = await services.startListening(
      'service',
      { WORKER_SHARED_SECRET: TEST_SECRET, SHUTDOWN_DRAIN_MS: String(DRAIN_MS), RATE_LIMIT_PER_MINUTE: '0' },
      { timeoutMs: 90_000 },
    );

    let signalled = false;
    let stopped = false;
    const answers: Answer[] = [];
    const readiness: { status?: number; error?: string; late: boolean }[] = [];

    // Each loop sends signed creates one after another over keep-alive connections (fetch's default).
    const create = async (): Promise<Answer> => {
      const body = JSON.stringify({ userId: randomUUID(), prompt: 'A todo app' });
      const late = signalled;
      try {
        const response = await fetch(`${base}${CREATE_PATH}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signed(TEST_SECRET, { method: 'POST', pathWithQuery: CREATE_PATH, body }),
          },
          body,
        });
        const { projectId } = (await response.json()) as { projectId?: string };
        return { status: response.status, late, projectId };
      } catch (error) {
        return { error: networkError(error), late };
      }
    };
    const load = Array.from({ length: LOAD_CONNECTIONS }, async () => {
      for (;;) {
        const answer = await create();
        answers.push(answer);
        if (stopped || answer.error === 'ECONNREFUSED') return;
      }
    });
    const pollReadiness = (async () => {
      while (!stopped) {
        const late = signalled;
        try {
          const response = await fetch(`${base}/health/ready`);
          await response.arrayBuffer();
          readiness.push({ status: response.status, late });
        } catch (error) {
          readiness.push({ error: networkError(error), late });
          if (late) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    while (answers.filter((answer) => answer.status === 201).length < 20) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    signalled = true;
    service.signal('SIGTERM');
    // A second signal (an impatient operator, a supervisor) must not cut the shutdown short.
    await new Promise((resolve) => setTimeout(resolve, 300));
    service.signal('SIGINT');

    const exit = await service.exitWithin(90_000);
    stopped = true;
    await Promise.all([...load, pollReadiness]);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(service.stdout).toMatch(/SIGTERM received, shutting down/);
    expect(service.stdout).toMatch(/SIGINT received while shutting down: ignored/);
    // Every connection closed by itself once its last request was answered: none had to be cut.
    expect(service.stdout).not.toMatch(/connections still open/);

    // Every request got an answer, or found the listener closed: none was cut off mid-way.
    // A connection the kernel had queued on the listener as it closed is reset rather than refused;
    // such a request never reached the app, which expectNothingHalfWritten proves below (a project
    // exists exactly for each 201).
    const failures = answers.filter(
      (answer) =>
        answer.error !== undefined &&
        !(answer.late && (answer.error === 'ECONNREFUSED' || answer.error === 'ECONNRESET')),
    );
    expect(failures).toEqual([]);
    const statuses = new Set(answers.flatMap((answer) => (answer.status === undefined ? [] : [answer.status])));
    expect([...statuses].filter((status) => status >= 500 && status !== 503)).toEqual([]);
    // Requests were still served while readiness already said 503.
    expect(answers.some((answer) => answer.late && answer.status === 201)).toBe(true);
    expect(readiness.some((check) => !check.late && check.status === 200)).toBe(true);
    expect(readiness.some((check) => check.late && check.status === 503)).toBe(true);

    await expectNothingHalfWritten(answers.flatMap((answer) => (answer.status === 201 ? [answer.projectId!] : [])));
  }, 240_000);

  /**
   * Each project answered 201 exists; each project has its build, session, job and directory, and
   * each directory its project; no build was cut short (the worker let them finish).
   */
  async function expectNothingHalfWritten(createdIds: string[]): Promise<void> {
    const { db, projectsRoot } = services;
    const projects = await db.query<{ id: string; owner_id: string; builds: number; sessions: number; jobs: number }>(
      `SELECT p.id, p.owner_id,
              (SELECT count(*)::int FROM project_build_metrics b WHERE b.project_id = p.id) AS builds,
              (SELECT count(*)::int FROM ai_time_sessions s WHERE s.project_id = p.id) AS sessions,
              (SELECT count(*)::int FROM pgboss.job j WHERE j.name = $1 AND j.data->>'projectId' = p.id::text) AS jobs
         FROM projects p`,
      [BUILD_QUEUE],
    );
    // A project exists exactly when its create was answered 201: no commit lost its answer.
    expect(projects.map((project) => project.id).sort()).toEqual([...createdIds].sort());
    expect(projects.filter((project) => project.builds !== 1 || project.sessions !== 1 || project.jobs !== 1)).toEqual(
      [],
    );
    const directories = (await listTree(projectsRoot)).filter((path) => path.split('/').length === 2).sort();
    expect(directories).toEqual(projects.map((project) => `${project.owner_id}/${project.id}`).sort());
    const builds = await db.query<{ status: string }>(`SELECT DISTINCT status FROM project_build_metrics`);
    expect(
      builds.map((build) => build.status).filter((status) => status !== 'queued' && status !== 'succeeded'),
    ).toEqual([]);
  }
});
