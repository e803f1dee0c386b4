import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { run as runNewman } from 'newman';
import type { NewmanRunSummary } from 'newman';
import { postmanCollection } from '../../scripts/postman-collection';
import { jsonDifferences, OPENAPI_FILE, POSTMAN_FILE, REGENERATE_COMMAND } from '../support/openapi-document';
import { startTestApp, TestApp } from '../support/test-app';

const CREATE_REQUEST = 'Create a project and queue its first build';

interface Collection {
  item: { name: string }[];
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** `newman run docs/postman_collection.json --env-var baseUrl=… --env-var secret=… --env-var userId=…`, in process. */
function newman(collection: object, variables: Record<string, string>, folder?: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    runNewman(
      {
        collection,
        envVar: Object.entries(variables).map(([key, value]) => ({ key, value })),
        ...(folder !== undefined && { folder }),
        reporters: [],
        timeoutRequest: 30_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

/** Each request of the run with the status it got (or its transport error). */
function answers(summary: NewmanRunSummary): { request: string; status: number | string }[] {
  return summary.run.executions.map((execution) => ({
    request: `${execution.request.method} ${execution.item.name}`,
    status: execution.response?.code ?? `no answer: ${execution.requestError?.message}`,
  }));
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
      const summary = await newman(collection, { baseUrl, secret: t.secret, userId }, CREATE_REQUEST);

      expect(answers(summary)).toEqual([{ request: `POST ${CREATE_REQUEST}`, status: 201 }]);
      expect(summary.run.failures).toEqual([]);
      const projects = await t.db.query<{ id: string; build_status: string }>(
        `SELECT id, build_status FROM projects WHERE owner_id = $1`,
        [userId],
      );
      expect(projects).toHaveLength(1);
      const created = JSON.parse(summary.run.executions[0].response!.text()) as { projectId: string };
      expect(projects[0].id).toBe(created.projectId);
    });

    it('runs the whole collection in order with every request answered as it should be', async () => {
      const userId = randomUUID();
      const summary = await newman(collection, { baseUrl, secret: t.secret, userId });

      const statuses = answers(summary).map(({ status }) => status);
      // The cancel races the update's build, which the worker may finish first (409 build_finished).
      const cancelAt = summary.run.executions.findIndex(({ item }) => item.name === 'Cancel a build');
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
      expect(summary.run.executions.map((execution) => execution.item.name)).toEqual(
        collection.item.map((item) => item.name),
      );
      // The collection's own tests (not 401, not 5xx) ran on every request and passed.
      expect(summary.run.failures).toEqual([]);
      const assertions = summary.run.executions.flatMap((execution) => execution.assertions ?? []);
      expect(assertions).toHaveLength(2 * collection.item.length);

      const events = summary.run.executions[1].response!.text();
      expect(events).toMatch(/"status":"succeeded"/);
      expect(events).toMatch(/^event: log$/m);
      const log = JSON.parse(summary.run.executions[3].response!.text()) as { items: { line: string }[] };
      expect(log.items.map((item) => item.line)).toContain('attempt 1 started');
      // The create's ids reached the requests after it: the project existed, then the delete removed it.
      expect(await t.db.query(`SELECT id FROM projects WHERE owner_id = $1`, [userId])).toEqual([]);
      const grants = await t.db.query(`SELECT 1 FROM ai_time_ledger WHERE user_id = $1 AND kind = 'grant'`, [userId]);
      expect(grants).toHaveLength(1);
    }, 60_000);

    it('is refused (401) when the secret is wrong, which its tests report', async () => {
      const summary = await newman(
        collection,
        { baseUrl, secret: 'not-the-secret-of-this-service', userId: randomUUID() },
        CREATE_REQUEST,
      );
      expect(answers(summary)).toEqual([{ request: `POST ${CREATE_REQUEST}`, status: 401 }]);
      expect(summary.run.failures.map((failure) => failure.error.test)).toEqual(['signature accepted (not 401)']);
    });
  });
});
