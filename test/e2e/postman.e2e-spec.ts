import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postmanCollection } from '../../scripts/postman-collection';
import { jsonDifferences, OPENAPI_FILE, POSTMAN_FILE, REGENERATE_COMMAND } from '../support/openapi-document';
import { startTestApp, TestApp } from '../support/test-app';

const CREATE_REQUEST = 'Create a project and queue its first build';
const NEWMAN = require.resolve('newman/bin/newman.js');

interface Collection {
  item: { name: string }[];
}

/** What newman's JSON reporter writes of a run: the parts these tests read. */
interface NewmanReport {
  run: {
    executions: {
      item: { name: string };
      request: { method: string };
      response?: { code: number; stream: { data: number[] } };
      requestError?: { message: string };
      assertions?: object[];
    }[];
    failures: { error: { test: string } }[];
  };
}
type Execution = NewmanReport['run']['executions'][number];

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/**
 * `newman run docs/postman_collection.json --env-var baseUrl=… --env-var secret=… --env-var userId=…`
 * in a process of its own, so its work does not hold the service's event loop (which readiness reports).
 */
async function newman(variables: Record<string, string>, folder?: string): Promise<NewmanReport> {
  const folderForReport = await mkdtemp(join(tmpdir(), 'newman-'));
  const report = join(folderForReport, 'report.json');
  try {
    const args = [NEWMAN, 'run', POSTMAN_FILE, '--reporters', 'json', '--reporter-json-export', report];
    args.push('--timeout-request', '30000', ...(folder === undefined ? [] : ['--folder', folder]));
    args.push(...Object.entries(variables).flatMap(([key, value]) => ['--env-var', `${key}=${value}`]));
    // newman exits 1 when a request's tests fail, which some of these runs expect; the report says which.
    await promisify(execFile)(process.execPath, args).catch((error: { code?: unknown }) => {
      if (error.code !== 1) throw error;
    });
    return await readJson<NewmanReport>(report);
  } finally {
    await rm(folderForReport, { recursive: true, force: true });
  }
}

function responseText(execution: Execution): string {
  return Buffer.from(execution.response!.stream.data).toString('utf8');
}

/** Each request of the run with the status it got (a 5xx with its body, to say what failed; or its transport error). */
function answers(report: NewmanReport): { request: string; status: number | string }[] {
  return report.run.executions.map((execution) => ({
    request: `${execution.request.method} ${execution.item.name}`,
    status: statusOf(execution),
  }));
}

function statusOf(execution: Execution): number | string {
  if (execution.response === undefined) return `no answer: ${execution.requestError?.message}`;
  const { code } = execution.response;
  return code >= 500 ? `${code} ${responseText(execution)}` : code;
}

describe('docs/postman_collection.json', () => {
  let collection: Collection;

  beforeAll(async () => {
    collection = await readJson<Collection>(POSTMAN_FILE);
  });

  it('is what scripts/postman-collection.ts makes of docs/openapi.json', async () => {
    const generated = await postmanCollection(await readJson<object>(OPENAPI_FILE));
    const differences = jsonDifferences(generated, collection);
    if (differences.length > 0) {
      throw new Error(
        `docs/postman_collection.json is not what docs/openapi.json converts to; run \`${REGENERATE_COMMAND}\` ` +
          `(or \`npm run postman:write\`) and commit it. Differences (generated → committed):\n  ${differences.join('\n  ')}`,
      );
    }
  });

  describe('run by newman against the running service', () => {
    let t: TestApp;
    let baseUrl: string;

    beforeAll(async () => {
      // With a worker, so the build finishes and following its events ends.
      t = await startTestApp({ roles: ['api', 'worker'], env: { DEDUPE_WINDOW_MS: '0' } });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = await t.app.getUrl();
    });
    afterAll(() => t?.close());

    it('creates a project with the create request alone, signed by the collection (201, not 401)', async () => {
      const userId = randomUUID();
      const report = await newman({ baseUrl, secret: t.secret, userId }, CREATE_REQUEST);

      expect(answers(report)).toEqual([{ request: `POST ${CREATE_REQUEST}`, status: 201 }]);
      expect(report.run.failures).toEqual([]);
      const projects = await t.db.query<{ id: string; build_status: string }>(
        `SELECT id, build_status FROM projects WHERE owner_id = $1`,
        [userId],
      );
      expect(projects).toHaveLength(1);
      const created = JSON.parse(responseText(report.run.executions[0])) as { projectId: string };
      expect(projects[0].id).toBe(created.projectId);
    });

    it('runs the whole collection in order with every request answered as it should be', async () => {
      const userId = randomUUID();
      const report = await newman({ baseUrl, secret: t.secret, userId });

      const statuses = answers(report).map(({ status }) => status);
      // The cancel races the update's build, which the worker may finish first (409 build_finished).
      const cancelAt = report.run.executions.findIndex(({ item }) => item.name === 'Cancel a build');
      expect([200, 409]).toContain(statuses[cancelAt]);
      expect(statuses.filter((_status, index) => index !== cancelAt)).toEqual([
        201, // create
        200, // follow the build's events (to the end)
        200, // the build
        200, // its log
        200, // the project
        200, // its versions
        200, // the preview of the version
        200, // the project's stable preview
        200, // the user's projects
        200, // set the current version (the one already current)
        202, // update
        // (the cancel of the update's build)
        200, // balance
        201, // grant
        200, // the webhook deliveries (none: no WEBHOOK_URL here)
        404, // redeliver the document's example delivery, which does not exist
        204, // delete
        200, // health/live
        200, // health/ready
        200, // metrics
      ]);
      expect(report.run.executions.map((execution) => execution.item.name)).toEqual(
        collection.item.map((item) => item.name),
      );
      // The collection's own tests (not 401, not 5xx) ran on every request and passed.
      expect(report.run.failures).toEqual([]);
      const assertions = report.run.executions.flatMap((execution) => execution.assertions ?? []);
      expect(assertions).toHaveLength(2 * collection.item.length);

      const events = responseText(report.run.executions[1]);
      expect(events).toMatch(/"status":"succeeded"/);
      expect(events).toMatch(/^event: log$/m);
      const log = JSON.parse(responseText(report.run.executions[3])) as { items: { line: string }[] };
      expect(log.items.map((item) => item.line)).toContain('attempt 1 started');
      // The create's ids reached the requests after it: the project existed, then the delete removed it.
      expect(await t.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [userId])).toEqual([]);
      const grants = await t.db.query(`SELECT 1 FROM ai_time_ledger WHERE user_id = $1 AND kind = 'grant'`, [userId]);
      expect(grants).toHaveLength(1);
    }, 60_000);

    it('is refused (401) when the secret is wrong, which its tests report', async () => {
      const report = await newman(
        { baseUrl, secret: 'not-the-secret-of-this-service', userId: randomUUID() },
        CREATE_REQUEST,
      );
      expect(answers(report)).toEqual([{ request: `POST ${CREATE_REQUEST}`, status: 401 }]);
      expect(report.run.failures.map((failure) => failure.error.test)).toEqual(['signature accepted (not 401)']);
    });
  });
});
