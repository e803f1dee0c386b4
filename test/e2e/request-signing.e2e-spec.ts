import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { computeSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/http/request-signature';
import { noNulls } from '../support/no-nulls';
import { NOTHING, persistedState } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { ServiceProcesses } from '../support/service-processes';
import { signed } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

/** Two secrets, as during a rotation: the harness signs with the first. */
const OLD_SECRET = 'rotating-out-secret-5b1d0c7e9a';
const NEW_SECRET = 'rotating-in-secret-2f8e6a4c1d';
const ROTATION = { WORKER_SHARED_SECRET: `${OLD_SECRET},${NEW_SECRET}` };
const UPDATE_PATH = '/v1/update-project';

/** A read route: the user's projects (a user with none reads an empty page). */
const listPath = (userId: string): string => `/v1/projects?userId=${userId}`;

/** A read route of one project. */
const projectPath = ({ projectId, userId }: { projectId: string; userId: string }): string =>
  `/v1/projects/${projectId}?userId=${userId}`;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A create whose body is `raw` exactly, with the given signature headers. */
const postCreate = (t: TestApp, raw: string, headers: Record<string, string>, path = CREATE_PATH): Test =>
  t.unsigned().post(path).set('Content-Type', 'application/json').set(headers).send(raw);

/** Headers for a create of `raw`, signed with `secret` at `at`, with any part of what is signed changed. */
const signedCreate = (
  raw: string,
  { secret = OLD_SECRET, at = nowSeconds(), method = 'POST', pathWithQuery = CREATE_PATH } = {},
): Record<string, string> => signed(secret, { method, pathWithQuery, body: raw }, at);

async function expectUnauthorized(t: TestApp, response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    type: 'urn:sheen:problem:unauthorized',
    title: 'Unauthorized',
    status: 401,
    code: 'unauthorized',
  });
  expect(typeof response.body.detail).toBe('string');
  expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
}

/** Freezes the clock the server reads (it runs in this process) at `seconds`, for the edge cases. */
function freezeClock(seconds: number): jest.SpyInstance {
  return jest.spyOn(Date, 'now').mockReturnValue(seconds * 1000 + 500);
}

describe('request signing', () => {
  describe('refused: 401 unauthorized and nothing written', () => {
    let t: TestApp;
    const raw = JSON.stringify(createBody());
    const good = (): Record<string, string> => signedCreate(raw);

    beforeAll(async () => {
      t = await startTestApp({ env: ROTATION });
    });
    afterAll(() => t?.close());
    afterEach(() => jest.restoreAllMocks());

    it('refuses a request without either header', async () => {
      await expectUnauthorized(t, await t.unsigned().post(CREATE_PATH).send(createBody()));
    });

    it.each([TIMESTAMP_HEADER, SIGNATURE_HEADER])('refuses a request with only %s missing', async (header) => {
      const headers = good();
      delete headers[header];
      await expectUnauthorized(t, await postCreate(t, raw, headers));
    });

    it.each<[string, (signature: string) => string]>([
      ['a v2= signature', (signature) => signature.replace('v1=', 'v2=')],
      ['a signature without v1=', (signature) => signature.slice(3)],
      ['a non-hex signature', () => `v1=${'xyz!'.repeat(16)}`],
      ['a short signature', (signature) => signature.slice(0, 40)],
      ['a signature in upper-case hex', (signature) => `v1=${signature.slice(3).toUpperCase()}`],
      ['an empty signature', () => ''],
    ])('refuses %s', async (_what, change) => {
      const headers = good();
      await expectUnauthorized(
        t,
        await postCreate(t, raw, { ...headers, [SIGNATURE_HEADER]: change(headers[SIGNATURE_HEADER]) }),
      );
    });

    it.each(['now', '', '1.7e9', `${nowSeconds()}.0`, '-1'])(
      'refuses the timestamp %j, even with a signature over it',
      async (timestamp) => {
        const signature = computeSignature(OLD_SECRET, timestamp, {
          method: 'POST',
          pathWithQuery: CREATE_PATH,
          body: raw,
        });
        await expectUnauthorized(
          t,
          await postCreate(t, raw, { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature }),
        );
      },
    );

    it.each([
      ['301 s in the past', -301],
      ['301 s in the future', 301],
    ])('refuses a well-signed request whose timestamp is %s', async (_when, offset) => {
      const now = nowSeconds();
      freezeClock(now);
      await expectUnauthorized(t, await postCreate(t, raw, signedCreate(raw, { at: now + offset })));
    });

    it('refuses a body changed after signing (same length)', async () => {
      const other = raw.replace('A todo app', 'A todo ap!');
      expect(other).not.toBe(raw);
      await expectUnauthorized(t, await postCreate(t, other, good()));
    });

    it('refuses a body with one byte added after signing', async () => {
      await expectUnauthorized(t, await postCreate(t, `${raw} `, good()));
    });

    it('refuses a signature made for another method', async () => {
      await expectUnauthorized(t, await postCreate(t, raw, signedCreate(raw, { method: 'PUT' })));
    });

    it('refuses a signature made for another path', async () => {
      await expectUnauthorized(t, await postCreate(t, raw, signedCreate(raw, { pathWithQuery: UPDATE_PATH })));
    });

    it('refuses a path spelled otherwise than signed, though it reaches the same route', async () => {
      // find-my-way decodes %70 to "p" when routing: the route is the same, the signed text is not.
      const respelled = CREATE_PATH.replace(/project$/, '%70roject');
      await expectUnauthorized(t, await postCreate(t, raw, good(), respelled));
    });

    it('refuses a query changed after signing', async () => {
      const headers = signedCreate(raw, { pathWithQuery: `${CREATE_PATH}?ref=a` });
      await expectUnauthorized(t, await postCreate(t, raw, headers, `${CREATE_PATH}?ref=b`));
    });

    it('refuses a query added after signing', async () => {
      await expectUnauthorized(t, await postCreate(t, raw, good(), `${CREATE_PATH}?ref=a`));
    });

    it('refuses a timestamp changed after signing', async () => {
      const headers = good();
      const changed = String(Number(headers[TIMESTAMP_HEADER]) - 1);
      await expectUnauthorized(t, await postCreate(t, raw, { ...headers, [TIMESTAMP_HEADER]: changed }));
    });

    it('refuses a signature made with a secret that is not configured', async () => {
      await expectUnauthorized(
        t,
        await postCreate(t, raw, signedCreate(raw, { secret: 'an-unknown-secret-9d7c5b3a1e' })),
      );
    });

    it('refuses a GET without a signature', async () => {
      await expectUnauthorized(t, await t.unsigned().get(listPath(randomUUID())));
    });

    it('refuses a GET signed as if it had a body', async () => {
      const path = listPath(randomUUID());
      const headers = signed(OLD_SECRET, { method: 'GET', pathWithQuery: path, body: '{}' });
      await expectUnauthorized(t, await t.unsigned().get(path).set(headers));
    });

    it('refuses a GET signed for another user: the query is signed too', async () => {
      const headers = signed(OLD_SECRET, { method: 'GET', pathWithQuery: listPath(randomUUID()) });
      await expectUnauthorized(t, await t.unsigned().get(listPath(randomUUID())).set(headers));
    });

    it('checks the signature before the body is validated: an invalid body unsigned is 401, not 400', async () => {
      await expectUnauthorized(t, await t.unsigned().post(CREATE_PATH).send({ userId: 'x' }));
    });
  });

  describe('accepted', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: ROTATION });
    });
    afterAll(() => t?.close());
    afterEach(() => jest.restoreAllMocks());

    async function expectCreated(response: Response, userId: unknown): Promise<void> {
      expect(response.status).toBe(201);
      const rows = await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [response.body.projectId]);
      expect(rows).toEqual([{ owner_id: userId }]);
    }

    it('accepts a request the harness signed (with the first secret)', async () => {
      const body = createBody();
      await expectCreated(await t.http().post(CREATE_PATH).send(body), body.userId);
    });

    it('accepts a signature made with the second of two rotated secrets', async () => {
      const body = createBody();
      const raw = JSON.stringify(body);
      await expectCreated(await postCreate(t, raw, signedCreate(raw, { secret: NEW_SECRET })), body.userId);
    });

    it.each([
      ['exactly 300 s in the past', -300],
      ['exactly 300 s in the future', 300],
    ])('accepts a timestamp %s', async (_when, offset) => {
      const now = nowSeconds();
      freezeClock(now);
      const body = createBody();
      const raw = JSON.stringify(body);
      await expectCreated(await postCreate(t, raw, signedCreate(raw, { at: now + offset })), body.userId);
    });

    it('accepts a signed query', async () => {
      const body = createBody();
      const raw = JSON.stringify(body);
      const path = `${CREATE_PATH}?source=e2e&x=%20y`;
      await expectCreated(await postCreate(t, raw, signedCreate(raw, { pathWithQuery: path }), path), body.userId);
    });

    it('harness: signs the query superagent builds and a string body as sent', async () => {
      const first = createBody();
      const second = createBody();
      await expectCreated(
        await t
          .http()
          .post(CREATE_PATH)
          .query({ source: 'e2e test', tags: ['a', 'b'] })
          .send(first),
        first.userId,
      );
      await expectCreated(
        await t
          .http()
          .post(CREATE_PATH)
          .set('Content-Type', 'application/json; charset=utf-8')
          .send(JSON.stringify(second, null, 1)),
        second.userId,
      );
    });

    it('signs a GET over an empty body', async () => {
      const userId = randomUUID();
      const { body: created } = await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
      const path = projectPath({ projectId: created.projectId, userId });
      const headers = signed(NEW_SECRET, { method: 'GET', pathWithQuery: path });
      expect(headers[SIGNATURE_HEADER]).toBe(
        computeSignature(NEW_SECRET, headers[TIMESTAMP_HEADER], { method: 'GET', pathWithQuery: path, body: '' }),
      );

      const read = await t.unsigned().get(path).set(headers).expect(200).expect(noNulls);
      expect(read.body).toMatchObject({ projectId: created.projectId, ownerId: userId });
      const list = await t.http().get(listPath(userId)).expect(200).expect(noNulls);
      const { items } = list.body as { items: { projectId: string }[] };
      expect(items.map((item) => item.projectId)).toEqual([created.projectId]);
    });

    it.each(['/health/live', '/health/ready', '/docs', '/docs-json'])('serves %s without a signature', async (path) => {
      await t.unsigned().get(path).expect(200);
    });

    it.each<[string, (request: Test) => Test]>([
      ['a body that is not JSON', (request) => request.set('Content-Type', 'application/json').send('{"userId":')],
      ['another content type', (request) => request.set('Content-Type', 'text/plain').send('hello')],
      [
        'a body over 1 MiB',
        (request) => request.set('Content-Type', 'application/json').send(`"${'a'.repeat(1100000)}"`),
      ],
    ])('answers an unsigned request with %s 401, before the body is read (ADR 010)', async (_what, send) => {
      const before = await persistedState(t.db, t.projectsRoot);
      const response = await send(t.unsigned().post(CREATE_PATH));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'unauthorized' });
      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it('answers a signed request whose body is not JSON with 400 (its MAC cannot be checked against a request)', async () => {
      const response = await t.http().post(CREATE_PATH).set('Content-Type', 'application/json').send('{"userId":');
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed' });
    });

    it('marks every /v1 operation as signed in the OpenAPI document, and every other as needing no signature', async () => {
      const { body } = await t.unsigned().get('/docs-json').expect(200);
      const document = body as {
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
        components: { securitySchemes: Record<string, { type: string; in: string; name: string }> };
      };
      expect(Object.values(document.components.securitySchemes)).toEqual([
        expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Sheen-Swagger-Secret' }),
      ]);
      const [scheme] = Object.keys(document.components.securitySchemes);
      for (const [path, item] of Object.entries(document.paths)) {
        for (const operation of Object.values(item)) {
          if (path.startsWith('/v1/')) {
            expect(operation.security).toEqual([{ [scheme]: [] }]);
            expect(operation.responses['401']).toBeDefined();
          } else {
            expect(operation.security).toEqual([]);
          }
        }
      }
      expect(document.paths[CREATE_PATH].post.responses['401']).toBeDefined();
    });
  });

  describe('on the routes that ship', () => {
    let t: TestApp;
    let project: { userId: string; projectId: string; buildId: string };

    /** A body the route accepts (a project of the suite's user, or a grant). */
    const bodyFor = (template: string): object => {
      if (template === CREATE_PATH) return createBody({ userId: project.userId, prompt: 'A second app' });
      if (template === UPDATE_PATH) return { userId: project.userId, projectId: project.projectId, prompt: 'More' };
      if (template.endsWith('/grants')) return { seconds: 60, reason: 'Signing test' };
      return {};
    };

    /** A request that would succeed if signed, on a documented path with its `{param}`s filled in. */
    const requestTo = (agent: ReturnType<TestApp['unsigned']>, method: string, template: string): Test => {
      const path = template
        .replace('{userId}', project.userId)
        .replace('{projectId}', project.projectId)
        .replace('{buildId}', project.buildId);
      const url = path.startsWith('/v1/billing/') ? path : `${path}?userId=${project.userId}`;
      const test = (agent as unknown as Record<string, (url: string) => Test>)[method](url);
      return method === 'post' ? test.send(bodyFor(template)) : test;
    };

    beforeAll(async () => {
      t = await startTestApp();
      const body = createBody();
      const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);
      project = { userId: body.userId as string, projectId: created.projectId, buildId: created.buildId };
      // Finished, so an update may queue the next build.
      await t.db.query(
        `UPDATE project_build_metrics SET status = 'succeeded', finished_at = now() WHERE build_id = $1`,
        [project.buildId],
      );
    });
    afterAll(() => t?.close());

    it('refuses every documented /v1 operation without a signature with 401, changing nothing', async () => {
      const document = (await t.unsigned().get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const operations = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, item]) => Object.keys(item).map((method) => ({ method, path })));
      expect(operations).toEqual(
        expect.arrayContaining([
          { method: 'post', path: CREATE_PATH },
          { method: 'post', path: UPDATE_PATH },
          { method: 'get', path: '/v1/projects' },
          { method: 'get', path: '/v1/projects/{projectId}' },
          { method: 'delete', path: '/v1/projects/{projectId}' },
          { method: 'get', path: '/v1/projects/{projectId}/versions' },
          { method: 'get', path: '/v1/builds/{buildId}' },
          { method: 'get', path: '/v1/billing/{userId}/balance' },
          { method: 'post', path: '/v1/billing/{userId}/grants' },
        ]),
      );
      const before = await persistedState(t.db, t.projectsRoot);

      for (const { method, path } of operations) {
        const response = await requestTo(t.unsigned(), method, path);
        expect({ method, path, status: response.status, code: response.body?.code }).toEqual({
          method,
          path,
          status: 401,
          code: 'unauthorized',
        });
      }

      expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
    });

    it.each([
      ['get', '/v1/projects', 200],
      ['get', '/v1/projects/{projectId}', 200],
      ['get', '/v1/projects/{projectId}/versions', 200],
      ['get', '/v1/builds/{buildId}', 200],
      ['get', '/v1/billing/{userId}/balance', 200],
      ['post', '/v1/billing/{userId}/grants', 201],
      ['post', UPDATE_PATH, 202],
      ['post', CREATE_PATH, 201],
      ['delete', '/v1/projects/{projectId}', 204],
    ])('serves a signed %s %s (%d)', async (method, path, status) => {
      const response = await requestTo(t.http(), method, path);
      expect(response.status).toBe(status);
      noNulls(response);
    });
  });

  describe('without WORKER_SHARED_SECRET', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { WORKER_SHARED_SECRET: '' } });
    });
    afterAll(() => t?.close());

    it('does not authenticate requests', async () => {
      const body = createBody();
      const response = await t.unsigned().post(CREATE_PATH).send(body).expect(201);
      expect(await t.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [response.body.projectId])).toEqual([
        { owner_id: body.userId },
      ]);
      const project = { projectId: response.body.projectId as string, userId: body.userId as string };
      const read = await t.unsigned().get(projectPath(project)).expect(200);
      expect(read.body).toMatchObject({ projectId: project.projectId });
    });
  });

  describe('the service process', () => {
    let services: ServiceProcesses;

    beforeEach(async () => {
      services = await ServiceProcesses.open('signing');
    });
    afterEach(() => services?.close());

    const WARNING = /WORKER_SHARED_SECRET is not set/g;

    it.each<Record<string, string>>([{}, { WORKER_SHARED_SECRET: '' }])(
      'refuses to start with NODE_ENV=production and no secret (%j): exits 1 naming WORKER_SHARED_SECRET',
      async (secret) => {
        const service = services.start('service', { NODE_ENV: 'production', ...secret });

        expect(await service.exitWithin(15_000)).toEqual({ code: 1, signal: null });
        expect(service.stderr).toMatch(/WORKER_SHARED_SECRET="": must be set when NODE_ENV=production/);
        expect(service.stderr).not.toMatch(/^\s+at /m);
        expect(service.stdout).not.toMatch(/listening on/);
      },
      20_000,
    );

    it('starts without NODE_ENV and without a secret, warning once that requests are not authenticated', async () => {
      const { process: service, baseUrl } = await services.startListening('service', {}, { timeoutMs: 45_000 });
      for (let i = 0; i < 2; i += 1) {
        const created = await fetch(`${baseUrl}${CREATE_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(createBody()),
        });
        expect(created.status).toBe(201);
      }

      expect(service.stdout.match(WARNING)).toHaveLength(1);
      expect(service.stdout).toMatch(/"level":"warn".*WORKER_SHARED_SECRET is not set/);
    }, 60_000);

    it('with NODE_ENV=production and a secret: verifies signatures over the real raw body, without a warning', async () => {
      const { process: service, baseUrl } = await services.startListening(
        'service',
        { NODE_ENV: 'production', WORKER_SHARED_SECRET: NEW_SECRET },
        { timeoutMs: 45_000 },
      );
      const body = createBody();
      // Spacing JSON.stringify would not reproduce: only the exact bytes verify.
      const raw = JSON.stringify(body, null, 2);
      const post = (headers: Record<string, string>): Promise<globalThis.Response> =>
        fetch(`${baseUrl}${CREATE_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: raw,
        });

      const refused = await post({});
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 'unauthorized' });
      const reserialised = await post(
        signed(NEW_SECRET, { method: 'POST', pathWithQuery: CREATE_PATH, body: JSON.stringify(body) }),
      );
      expect(reserialised.status).toBe(401);
      const created = await post(signed(NEW_SECRET, { method: 'POST', pathWithQuery: CREATE_PATH, body: raw }));
      expect(created.status).toBe(201);
      const { projectId } = (await created.json()) as { projectId: string };
      expect(await services.db.query(`SELECT owner_id FROM projects WHERE id = $1`, [projectId])).toEqual([
        { owner_id: body.userId },
      ]);
      expect(service.stdout).not.toMatch(WARNING);
    }, 60_000);
  });
});
