import fc from 'fast-check';
import { FRAMEWORKS } from '../../src/projects/framework';
import { listTree } from '../support/persisted-state';
import { CREATE_PATH } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

/** A property-based attack on the real app: whatever arrives, the answer is 2xx or a 4xx problem. */
describe('fuzzing the HTTP API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(() => t?.close());

  const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 50 }));
  const userIds = fc.constantFrom(
    '6f1c2b9e-0d3a-4c5b-8e7f-9a0b1c2d3e4f',
    'A2B3C4D5-E6F7-4890-ABCD-EF0123456789',
    '00000000-0000-0000-0000-000000000000',
  );
  const almostValidBody = fc.record(
    {
      userId: fc.oneof(fc.uuid(), userIds, text, fc.integer(), fc.constant(null)),
      prompt: fc.oneof(text, fc.constant(''), fc.constant('\u0000'), fc.integer(), fc.constant(null)),
      framework: fc.oneof(fc.constantFrom(...FRAMEWORKS), text, fc.constant(null)),
      name: fc.oneof(text, fc.constant(null), fc.array(text, { maxLength: 2 })),
      projectId: fc.oneof(fc.uuid(), text, fc.constant(null)),
      // Computed keys: a literal `__proto__:` would set the prototype instead of adding the key.
      ['__proto__']: fc.jsonValue({ maxDepth: 1 }),
      ['constructor']: fc.jsonValue({ maxDepth: 1 }),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  );
  const validBody = fc.record(
    {
      userId: fc.oneof(fc.uuid(), userIds),
      prompt: fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }),
      ),
      framework: fc.constantFrom(...FRAMEWORKS),
      name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }),
    },
    { requiredKeys: ['userId', 'prompt'] },
  );
  const rawBody = fc.oneof(
    validBody.map((body) => JSON.stringify(body)),
    almostValidBody.map((body) => JSON.stringify(body)),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    text,
    fc.constant('{"userId": "6f1c2b9e-0d3a-4c5b-8e7f-9a0b1c2d3e4f", "prompt": '),
  );
  const path = fc.oneof(
    { arbitrary: fc.constant(CREATE_PATH), weight: 8 },
    fc.constant(`${CREATE_PATH}?x=1`),
    fc.constantFrom('/v1/', '/v1/../health/live', '/v1/%2e%2e/docs', '/health/ready', '/nope'),
    fc.webPath().map((p) => `/v1${p.startsWith('/') ? p : `/${p}`}`),
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 6 },
    fc.constant('application/json; charset=utf-8'),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data'),
  );
  const idempotencyKey = fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.constant('k')), {
    nil: undefined,
  });
  const method = fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 8 },
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
  );
  const statuses = new Map<number, number>();

  it('answers every request with 2xx or a 4xx problem+json, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, contentType, rawBody, idempotencyKey, async (verb, url, type, body, key) => {
        let request = t.http()[verb.toLowerCase() as 'post'](url).set('content-type', type);
        if (key !== undefined && /^[\x20-\x7E]*$/.test(key)) request = request.set('Idempotency-Key', key);
        const response = await (verb === 'GET' ? request : request.send(body));

        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.body).toEqual(
            expect.objectContaining({ status: response.status, code: expect.any(String), detail: expect.any(String) }),
          );
        }
      }),
      { numRuns: 300 },
    );
    // The run reached the create path, not only the validation in front of it.
    expect(statuses.get(201)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
  }, 120_000);

  it('leaves nothing but complete projects behind', async () => {
    const [incomplete] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM projects p
        WHERE NOT EXISTS (SELECT 1 FROM project_build_metrics b WHERE b.build_id = p.current_build_id AND b.project_id = p.id)
           OR NOT EXISTS (SELECT 1 FROM ai_time_sessions s WHERE s.build_id = p.current_build_id)
           OR NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.data->>'buildId' = p.current_build_id)`,
    );
    expect(incomplete.count).toBe(0);
    const [orphans] = await t.db.query<{ count: number }>(
      `SELECT (SELECT count(*) FROM project_build_metrics b WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = b.project_id))
            + (SELECT count(*) FROM ai_time_sessions s WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = s.project_id))
            + (SELECT count(*) FROM project_versions)::int AS count`,
    );
    expect(Number(orphans.count)).toBe(0);

    const projects = await t.db.query<{ owner_id: string; id: string }>(`SELECT owner_id, id FROM projects`);
    const expected = projects.map(({ owner_id, id }) => `${owner_id}/${id}`);
    const users = [...new Set(projects.map((p) => p.owner_id))];
    expect(await listTree(t.projectsRoot)).toEqual([...users, ...expected].sort());
  });
});
