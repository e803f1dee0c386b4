import { verifySignature } from '../http/request-signature';
import { retryDelayMs } from './retry-policy';
import { createWorkerClient, WorkerApiError, WorkerClient } from './worker-client';

const SECRET = 'client-spec-secret-6b1d0e2f9a7c';
const BASE_URL = 'http://worker.test:3000';
const USER_ID = '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69';
const PROJECT_ID = '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a';
const BUILD_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';

interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

type Answer = Response | Error | ((sent: Sent) => Response);

/** A fetch that records what it is sent and answers from `answers`, in order. */
function fakeFetch(...answers: Answer[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: Sent = {
      method: init?.method ?? 'GET',
      url: new URL(input instanceof Request ? input.url : input),
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : '',
    };
    sent.push(request);
    const answer = answers.shift();
    if (answer === undefined)
      return Promise.reject(new Error(`unexpected request ${request.method} ${request.url.href}`));
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(typeof answer === 'function' ? answer(request) : answer);
  };
  return { fetch, sent };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}, retryAfter?: string): Response {
  const body = { type: `urn:sheen:problem:${code}`, title: code, status, detail: `detail of ${code}`, code, ...extra };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/problem+json',
      ...(retryAfter !== undefined && { 'Retry-After': retryAfter }),
    },
  });
}

function eventStream(text: string): Response {
  return new Response(text, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

const statusEvent = (status: string, id = 1) =>
  `event: status\nid: ${id}\ndata: ${JSON.stringify({ buildId: BUILD_ID, projectId: PROJECT_ID, status })}\n\n`;

const CREATED = { success: true, projectId: PROJECT_ID, buildId: BUILD_ID, status: 'queued' };

function client(fetch: typeof globalThis.fetch, attempts = 4): WorkerClient {
  return createWorkerClient({
    baseUrl: BASE_URL,
    secret: SECRET,
    fetch,
    retry: { attempts, minDelayMs: 1, maxDelayMs: 5 },
  });
}

/** Whether the service would accept the request as sent: the signature over its path, query and body. */
function verifies(sent: Sent): boolean {
  const result = verifySignature(
    [SECRET],
    { timestamp: sent.headers['X-Sheen-Timestamp'], signature: sent.headers['X-Sheen-Signature'] },
    {
      method: sent.method,
      pathWithQuery: `${sent.url.pathname}${sent.url.search}`,
      body: sent.body,
      idempotencyKey: sent.headers['Idempotency-Key'],
    },
    Date.now() / 1000,
  );
  return result.valid && sent.headers['X-Sheen-Signature'].startsWith('v2=');
}

describe('WorkerClient', () => {
  describe('requests', () => {
    it('sends each endpoint to its path, signed over exactly what it sends, with a JSON body when it has one', async () => {
      const { fetch, sent } = fakeFetch(
        json(201, CREATED),
        json(202, CREATED),
        json(200, {}),
        json(200, { items: [] }),
        json(200, { items: [] }),
        json(200, {}),
        new Response(null, { status: 204 }),
        json(200, {}),
        json(201, {}),
      );
      const worker = client(fetch);
      await worker.createPreview({ userId: USER_ID, prompt: 'A todo app ✓', framework: 'vue' });
      await worker.updateProject({ userId: USER_ID, projectId: PROJECT_ID, prompt: 'Dark mode' });
      await worker.getProject(PROJECT_ID, { userId: USER_ID });
      await worker.listProjects({ userId: USER_ID, limit: 5, cursor: 'a b/c=' });
      await worker.getVersions(PROJECT_ID, { userId: USER_ID });
      await worker.getBuild(BUILD_ID, { userId: USER_ID });
      await worker.deleteProject(PROJECT_ID, { userId: USER_ID });
      await worker.getBalance(USER_ID);
      await worker.grant(USER_ID, { seconds: 60, reason: 'Plan renewal' });

      expect(sent.map(({ method, url }) => `${method} ${url.pathname}${url.search}`)).toEqual([
        'POST /v1/create-preview-for-new-project',
        'POST /v1/update-project',
        `GET /v1/projects/${PROJECT_ID}?userId=${USER_ID}`,
        `GET /v1/projects?userId=${USER_ID}&limit=5&cursor=a+b%2Fc%3D`,
        `GET /v1/projects/${PROJECT_ID}/versions?userId=${USER_ID}`,
        `GET /v1/builds/${BUILD_ID}?userId=${USER_ID}`,
        `DELETE /v1/projects/${PROJECT_ID}?userId=${USER_ID}`,
        `GET /v1/billing/${USER_ID}/balance`,
        `POST /v1/billing/${USER_ID}/grants`,
      ]);
      expect(sent.every(verifies)).toBe(true);
      expect(JSON.parse(sent[0].body)).toEqual({ userId: USER_ID, prompt: 'A todo app ✓', framework: 'vue' });
      expect(sent.map((request) => request.headers['Content-Type'])).toEqual([
        'application/json',
        'application/json',
        ...Array<undefined>(6).fill(undefined),
        'application/json',
      ]);
    });

    it('encodes ids into the path, so no id can reach another route', async () => {
      const { fetch, sent } = fakeFetch(json(200, {}));
      await client(fetch).getProject('../billing/x?y', { userId: USER_ID });
      expect(sent[0].url.pathname).toBe('/v1/projects/..%2Fbilling%2Fx%3Fy');
      expect(verifies(sent[0])).toBe(true);
    });

    it('sends a fresh Idempotency-Key with every create, update and grant, or the one given; none with reads', async () => {
      const { fetch, sent } = fakeFetch(
        json(201, CREATED),
        json(201, CREATED),
        json(202, CREATED),
        json(200, {}),
        json(201, {}),
        json(201, {}),
      );
      const worker = client(fetch);
      const body = { userId: USER_ID, prompt: 'A todo app' };
      await worker.createPreview(body);
      await worker.createPreview(body);
      await worker.updateProject({ ...body, projectId: PROJECT_ID }, { idempotencyKey: 'form-42' });
      await worker.getBalance(USER_ID);
      await worker.grant(USER_ID, { seconds: 1, reason: 'r' });
      await worker.grant(USER_ID, { seconds: 1, reason: 'r' }, { idempotencyKey: 'payment-9' });

      const keys = sent.map((request) => request.headers['Idempotency-Key']);
      for (const index of [0, 1, 4]) expect(keys[index]).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set([keys[0], keys[1], keys[4]]).size).toBe(3);
      expect(keys.slice(2, 4)).toEqual(['form-42', undefined]);
      expect(keys[5]).toBe('payment-9');
      expect(sent.every(verifies)).toBe(true);
    });

    it.each(['', ' padded', 'padded ', 'x'.repeat(256), 'tab\there', 'ünïcode'])(
      'refuses the Idempotency-Key %j before sending: the service would not see it as signed',
      async (idempotencyKey) => {
        const { fetch, sent } = fakeFetch(json(201, CREATED));
        await expect(client(fetch).createPreview({ userId: USER_ID, prompt: 'x' }, { idempotencyKey })).rejects.toThrow(
          TypeError,
        );
        expect(sent).toEqual([]);
      },
    );

    it('refuses a baseUrl with a path, which would be signed as a path the service does not see', () => {
      expect(() => createWorkerClient({ baseUrl: 'https://example.test/worker', secret: SECRET })).toThrow(
        'baseUrl must be an origin without a path, e.g. https://example.test',
      );
      expect(() => createWorkerClient({ baseUrl: 'https://example.test/', secret: SECRET })).not.toThrow();
    });
  });

  describe('retries', () => {
    it('retries 503 and 409 request_in_progress with the same key and body, each try signed afresh', async () => {
      const { fetch, sent } = fakeFetch(
        problem(503, 'database_unavailable', {}, '5'),
        problem(409, 'request_in_progress', {}, '1'),
        new TypeError('fetch failed'),
        json(201, CREATED),
      );
      const created = await client(fetch).createPreview({ userId: USER_ID, prompt: 'A todo app' });

      expect(created).toEqual(CREATED);
      expect(sent).toHaveLength(4);
      expect(new Set(sent.map((request) => request.headers['Idempotency-Key'])).size).toBe(1);
      expect(new Set(sent.map((request) => request.body)).size).toBe(1);
      expect(sent.every(verifies)).toBe(true);
      // Never two tries in one second: each try's signature is one the service has not seen spent.
      const seconds = sent.map((request) => Number(request.headers['X-Sheen-Timestamp']));
      expect(new Set(seconds).size).toBe(4);
      expect(new Set(sent.map((request) => request.headers['X-Sheen-Signature'])).size).toBe(4);
    });

    it('gives up after `attempts` tries with the last answer, as a WorkerApiError carrying its problem', async () => {
      const { fetch, sent } = fakeFetch(
        problem(503, 'database_unavailable', {}, '5'),
        problem(503, 'database_unavailable', {}, '5'),
        problem(503, 'service_unavailable', {}, '7'),
      );
      const failure = await client(fetch, 3)
        .getBalance(USER_ID)
        .catch((error: unknown) => error);

      expect(sent).toHaveLength(3);
      expect(failure).toBeInstanceOf(WorkerApiError);
      expect(failure).toMatchObject({
        name: 'WorkerApiError',
        status: 503,
        code: 'service_unavailable',
        type: 'urn:sheen:problem:service_unavailable',
        title: 'service_unavailable',
        detail: 'detail of service_unavailable',
        retryAfterSeconds: 7,
        message: '503 service_unavailable: detail of service_unavailable',
      });
    });

    it.each([
      [
        400,
        'validation_failed',
        { errors: [{ field: 'prompt', message: 'prompt must be 1 to 20000 characters long' }] },
      ],
      [401, 'unauthorized', {}],
      [402, 'insufficient_ai_time', {}],
      [404, 'project_not_found', {}],
      [409, 'build_in_progress', { buildId: BUILD_ID }],
      [422, 'idempotency_key_reused', {}],
      [429, 'rate_limited', {}],
      [500, 'internal_error', {}],
    ])('does not retry %s %s, and gives its fields', async (status, code, extra) => {
      const { fetch, sent } = fakeFetch(problem(status, code, extra));
      const failure = (await client(fetch)
        .updateProject({ userId: USER_ID, projectId: PROJECT_ID, prompt: 'x' })
        .catch((error: unknown) => error)) as WorkerApiError;

      expect(sent).toHaveLength(1);
      expect(failure).toBeInstanceOf(WorkerApiError);
      expect(failure).toMatchObject({ status, code, ...extra });
      expect(failure.problem).toMatchObject({ status, code, ...extra });
    });

    it('resends a grant that got no answer under the same Idempotency-Key, so it grants once, and retries its 503', async () => {
      const unanswered = fakeFetch(new TypeError('fetch failed'), json(201, { secondsRemaining: 1 }));
      expect(await client(unanswered.fetch).grant(USER_ID, { seconds: 1, reason: 'r' })).toEqual({
        secondsRemaining: 1,
      });
      expect(unanswered.sent).toHaveLength(2);
      expect(unanswered.sent[1].headers['Idempotency-Key']).toBe(unanswered.sent[0].headers['Idempotency-Key']);

      const refused = fakeFetch(problem(503, 'database_unavailable', {}, '5'), json(201, { secondsRemaining: 1 }));
      expect(await client(refused.fetch).grant(USER_ID, { seconds: 1, reason: 'r' })).toEqual({ secondsRemaining: 1 });
      expect(refused.sent).toHaveLength(2);
    });

    it('takes a delete whose answer was lost and that then finds nothing as done; a plain 404 stays an error', async () => {
      const lost = fakeFetch(new TypeError('fetch failed'), problem(404, 'project_not_found'));
      await expect(client(lost.fetch).deleteProject(PROJECT_ID, { userId: USER_ID })).resolves.toBeUndefined();
      expect(lost.sent).toHaveLength(2);

      const unknown = fakeFetch(problem(404, 'project_not_found'));
      await expect(client(unknown.fetch).deleteProject(PROJECT_ID, { userId: USER_ID })).rejects.toMatchObject({
        code: 'project_not_found',
      });
    });

    it('reads an answer that is not problem+json (a proxy) as unexpected_response, retrying it when a 503', async () => {
      const { fetch, sent } = fakeFetch(
        new Response('<html>Service Unavailable</html>', { status: 503, headers: { 'Content-Type': 'text/html' } }),
        new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      );
      const failure = await client(fetch)
        .getBuild(BUILD_ID, { userId: USER_ID })
        .catch((error: unknown) => error);
      expect(sent).toHaveLength(2);
      expect(failure).toMatchObject({
        status: 502,
        code: 'unexpected_response',
        title: 'Bad Gateway',
        detail: '<html>Bad Gateway</html>',
      });
    });

    it('stops at once, waits included, when the signal is aborted', async () => {
      const abort = new AbortController();
      const { fetch, sent } = fakeFetch(() => {
        setTimeout(() => abort.abort(new Error('the user left')), 5);
        return problem(503, 'database_unavailable', {}, '5');
      });
      const worker = createWorkerClient({ baseUrl: BASE_URL, secret: SECRET, fetch, retry: { maxDelayMs: 60_000 } });
      const started = Date.now();
      await expect(worker.getBalance(USER_ID, { signal: abort.signal })).rejects.toThrow('the user left');
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(sent).toHaveLength(1);
    });

    it('waits with backoff and jitter, at least Retry-After, at most maxDelayMs', () => {
      const policy = { attempts: 5, minDelayMs: 100, maxDelayMs: 1_000 };
      expect(retryDelayMs(policy, 1, undefined, () => 0)).toBe(50);
      expect(retryDelayMs(policy, 1, undefined, () => 1)).toBe(100);
      expect(retryDelayMs(policy, 3, undefined, () => 1)).toBe(400);
      expect(retryDelayMs(policy, 3, 0.7, () => 0)).toBe(700);
      expect(retryDelayMs(policy, 2, 5, () => 0)).toBe(1_000);
      expect(retryDelayMs(policy, 9, undefined, () => 1)).toBe(1_000);
    });
  });

  describe('followBuild', () => {
    it('yields each status from the stream, keep-alives and other events skipped, and ends after the last', async () => {
      const { fetch, sent } = fakeFetch(
        eventStream(
          `: keep-alive\n\n${statusEvent('queued')}event: other\ndata: {}\n\n${statusEvent('running', 2)}${statusEvent('succeeded', 3)}`,
        ),
      );
      const statuses: string[] = [];
      for await (const build of client(fetch).followBuild(BUILD_ID, { userId: USER_ID })) statuses.push(build.status);

      expect(statuses).toEqual(['queued', 'running', 'succeeded']);
      expect(sent).toHaveLength(1);
      expect(sent[0].headers.Accept).toBe('text/event-stream');
      expect(`${sent[0].url.pathname}${sent[0].url.search}`).toBe(`/v1/builds/${BUILD_ID}/events?userId=${USER_ID}`);
      expect(verifies(sent[0])).toBe(true);
    });

    it('reopens a stream that ends early (a deploy) or fails to open (503), and yields no status twice', async () => {
      const { fetch, sent } = fakeFetch(
        eventStream(statusEvent('queued') + statusEvent('running', 2)),
        problem(503, 'service_unavailable', {}, '5'),
        new TypeError('fetch failed'),
        eventStream(statusEvent('running') + statusEvent('failed', 2)),
      );
      const statuses: string[] = [];
      for await (const build of client(fetch).followBuild(BUILD_ID, { userId: USER_ID })) statuses.push(build.status);

      expect(statuses).toEqual(['queued', 'running', 'failed']);
      expect(sent).toHaveLength(4);
    });

    it('gives up after `attempts` reopenings in a row that bring nothing new', async () => {
      const { fetch, sent } = fakeFetch(
        eventStream(statusEvent('running')),
        eventStream(statusEvent('running')),
        eventStream(statusEvent('running')),
      );
      const statuses: string[] = [];
      const following = (async () => {
        for await (const build of client(fetch, 3).followBuild(BUILD_ID, { userId: USER_ID }))
          statuses.push(build.status);
      })();
      await expect(following).rejects.toThrow(`the event stream of build ${BUILD_ID} ended before the build did`);
      expect(statuses).toEqual(['running']);
      expect(sent).toHaveLength(3);
    });

    it('throws the 404 of a build that is not there (or not the user’s)', async () => {
      const { fetch } = fakeFetch(problem(404, 'build_not_found'));
      const following = client(fetch).followBuild(BUILD_ID, { userId: USER_ID });
      await expect(following.next()).rejects.toMatchObject({ status: 404, code: 'build_not_found' });
    });
  });
});
