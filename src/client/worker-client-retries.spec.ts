import { retryDelayMs } from './retry-policy';
import { createWorkerClient, WorkerApiError } from './worker-client';
import {
  BASE_URL,
  BUILD_ID,
  client,
  CREATED,
  fakeFetch,
  json,
  problem,
  PROJECT_ID,
  SECRET,
  USER_ID,
  verifies,
} from '../../test/support/fake-worker-api';

describe('WorkerClient', () => {
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
});
