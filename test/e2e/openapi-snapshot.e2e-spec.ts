import { readFile } from 'node:fs/promises';
import {
  jsonDifferences,
  lintOpenApiDocument,
  OPENAPI_FILE,
  REGENERATE_COMMAND,
  servedOpenApiDocument,
} from '../support/openapi-document';
import { startTestApp, TestApp } from '../support/test-app';

describe('docs/openapi.json', () => {
  let t: TestApp;
  let served: Record<string, unknown>;
  let committed: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestApp();
    served = await servedOpenApiDocument(t);
    committed = JSON.parse(await readFile(OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
  });
  afterAll(() => t?.close());

  it('is the document the running app serves at GET /docs-json', () => {
    const differences = jsonDifferences(committed, served);
    if (differences.length > 0) {
      throw new Error(
        `docs/openapi.json differs from the app's GET /docs-json: run \`${REGENERATE_COMMAND}\` and commit ` +
          `docs/openapi.json and docs/postman_collection.json. Differences (committed → served):\n  ${differences.join('\n  ')}`,
      );
    }
  });

  it('is served by the app itself, over HTTP, as the same document', async () => {
    const response = await t.http().get('/docs-json').expect(200);
    expect(response.body).toEqual(served);
    expect(Object.keys(served.paths as object)).toContain('/v1/create-preview-for-new-project');
  });

  it('would be reported stale, naming where, after any change to the app', () => {
    const changed = structuredClone(served) as { paths: Record<string, Record<string, { summary?: string }>> };
    changed.paths['/v1/projects/{projectId}'].get.summary = 'Another summary';
    delete changed.paths['/v1/billing/{userId}/balance'];
    expect(jsonDifferences(committed, changed)).toEqual([
      'paths./v1/projects/{projectId}.get.summary: "A project" → "Another summary"',
      expect.stringMatching(/^paths\.\/v1\/billing\/\{userId\}\/balance: \{.*→ \(absent\)$/),
    ]);
  });

  it("passes Redocly's recommended rules with no error, as `npm run lint:openapi` checks (ADR 042)", async () => {
    const errors = (await lintOpenApiDocument(served)).filter((problem) => problem.severity === 'error');
    expect(errors).toEqual([]);
  });

  it('would fail the linter for an undeclared security, a missing summary or an undeclared path parameter', async () => {
    const changed = structuredClone(served) as {
      paths: Record<string, Record<string, { summary?: string; security?: unknown; parameters?: { name: string }[] }>>;
    };
    delete changed.paths['/health/live'].get.security;
    delete changed.paths['/v1/projects/{projectId}'].get.summary;
    const preview = changed.paths['/preview/{projectId}/{path}'].get;
    preview.parameters = preview.parameters!.filter((parameter) => parameter.name !== 'path');

    const errors = (await lintOpenApiDocument(changed)).filter((problem) => problem.severity === 'error');

    expect(errors.map(({ ruleId, pointer }) => ({ ruleId, pointer }))).toEqual(
      expect.arrayContaining([
        { ruleId: 'security-defined', pointer: '#/paths/~1health~1live/get' },
        { ruleId: 'operation-summary', pointer: '#/paths/~1v1~1projects~1{projectId}/get/summary' },
        { ruleId: 'path-parameters-defined', pointer: '#/paths/~1preview~1{projectId}~1{path}/get/parameters' },
      ]),
    );
    expect(errors).toHaveLength(3);
  });
});
