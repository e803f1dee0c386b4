import { createWorkerClient } from './worker-client';
import {
  BUILD_ID,
  client,
  CREATED,
  eventStream,
  fakeFetch,
  json,
  logEvent,
  problem,
  PROJECT_ID,
  SECRET,
  statusEvent,
  USER_ID,
  verifies,
  VERSION_ID,
} from '../../test/support/fake-worker-api';

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
        json(200, { items: [], droppedLines: 0 }),
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
      await worker.getBuildLogs(BUILD_ID, { userId: USER_ID, after: 120, limit: 50 });
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
        `GET /v1/builds/${BUILD_ID}/logs?userId=${USER_ID}&after=120&limit=50`,
        `DELETE /v1/projects/${PROJECT_ID}?userId=${USER_ID}`,
        `GET /v1/billing/${USER_ID}/balance`,
        `POST /v1/billing/${USER_ID}/grants`,
      ]);
      expect(sent.every(verifies)).toBe(true);
      expect(JSON.parse(sent[0].body)).toEqual({ userId: USER_ID, prompt: 'A todo app ✓', framework: 'vue' });
      expect(sent.map((request) => request.headers['Content-Type'])).toEqual([
        'application/json',
        'application/json',
        ...Array<undefined>(7).fill(undefined),
        'application/json',
      ]);
    });

    it('sets the current version with a POST of userId and versionId, signed, without an Idempotency-Key', async () => {
      const project = { projectId: PROJECT_ID, currentVersionId: VERSION_ID };
      const { fetch, sent } = fakeFetch(json(200, project));

      expect(await client(fetch).setCurrentVersion(PROJECT_ID, { userId: USER_ID, versionId: VERSION_ID })).toEqual(
        project,
      );
      expect(sent).toHaveLength(1);
      expect(`${sent[0].method} ${sent[0].url.pathname}`).toBe(`POST /v1/projects/${PROJECT_ID}/current-version`);
      expect(JSON.parse(sent[0].body)).toEqual({ userId: USER_ID, versionId: VERSION_ID });
      expect(sent[0].headers['Content-Type']).toBe('application/json');
      expect(sent[0].headers['Idempotency-Key']).toBeUndefined();
      expect(verifies(sent[0])).toBe(true);
    });

    it('sends a current-version change again, signed anew, when a try got no answer, and throws its 404s', async () => {
      const { fetch, sent } = fakeFetch(new TypeError('fetch failed'), json(200, { projectId: PROJECT_ID }));
      await client(fetch).setCurrentVersion(PROJECT_ID, { userId: USER_ID, versionId: VERSION_ID });

      expect(sent).toHaveLength(2);
      expect(sent[0].body).toBe(sent[1].body);
      expect(sent[0].headers['X-Sheen-Signature']).not.toBe(sent[1].headers['X-Sheen-Signature']);
      expect(sent.every(verifies)).toBe(true);

      const { fetch: refusing } = fakeFetch(problem(404, 'version_not_found'));
      await expect(
        client(refusing).setCurrentVersion(PROJECT_ID, { userId: USER_ID, versionId: VERSION_ID }),
      ).rejects.toMatchObject({ status: 404, code: 'version_not_found' });
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

    it('cancels with { userId } at the build, keyless, and sends a try whose answer was lost again, signed anew', async () => {
      const { fetch, sent } = fakeFetch(
        new TypeError('fetch failed'),
        json(200, { buildId: BUILD_ID, status: 'canceled' }),
      );

      const build = await client(fetch).cancelBuild(BUILD_ID, { userId: USER_ID });

      expect(build.status).toBe('canceled');
      expect(sent.map(({ method, url }) => `${method} ${url.pathname}${url.search}`)).toEqual([
        `POST /v1/builds/${BUILD_ID}/cancel`,
        `POST /v1/builds/${BUILD_ID}/cancel`,
      ]);
      expect(sent.map(({ body }) => JSON.parse(body) as unknown)).toEqual([{ userId: USER_ID }, { userId: USER_ID }]);
      expect(sent.map(({ headers }) => headers['Idempotency-Key'])).toEqual([undefined, undefined]);
      expect(sent.every(verifies)).toBe(true);
      expect(sent[1].headers['X-Sheen-Signature']).not.toBe(sent[0].headers['X-Sheen-Signature']);
    });

    it('lists webhook deliveries without a userId, and redelivers one with no body, sending a lost try again', async () => {
      const deliveryId = '01JDRZ9A7C3M5P8R2T4V6X8Z0B';
      const { fetch, sent } = fakeFetch(
        json(200, { items: [], nextCursor: 'next' }),
        new TypeError('fetch failed'),
        json(202, { deliveryId, status: 'pending' }),
      );
      const worker = client(fetch);

      expect(await worker.listWebhookDeliveries({ limit: 2, cursor: 'a b' })).toEqual({
        items: [],
        nextCursor: 'next',
      });
      expect(await worker.redeliverWebhook(deliveryId)).toEqual({ deliveryId, status: 'pending' });

      expect(sent.map(({ method, url }) => `${method} ${url.pathname}${url.search}`)).toEqual([
        'GET /v1/webhooks/deliveries?limit=2&cursor=a+b',
        `POST /v1/webhooks/deliveries/${deliveryId}/redeliver`,
        `POST /v1/webhooks/deliveries/${deliveryId}/redeliver`,
      ]);
      expect(sent.map(({ body, headers }) => [body, headers['Content-Type'], headers['Idempotency-Key']])).toEqual(
        Array(3).fill(['', undefined, undefined]),
      );
      expect(sent.every(verifies)).toBe(true);
      expect(sent[2].headers['X-Sheen-Signature']).not.toBe(sent[1].headers['X-Sheen-Signature']);
    });

    it('throws 409 build_finished for a build that ended first, without retrying it', async () => {
      const { fetch, sent } = fakeFetch(problem(409, 'build_finished'));
      await expect(client(fetch).cancelBuild(BUILD_ID, { userId: USER_ID })).rejects.toMatchObject({
        status: 409,
        code: 'build_finished',
      });
      expect(sent).toHaveLength(1);
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

    it('yields a queued build again when its place in line moves, never the same place twice', async () => {
      const queued = (queuePosition: number, id: number) =>
        `event: status\nid: ${id}\ndata: ${JSON.stringify({ buildId: BUILD_ID, status: 'queued', queuePosition })}\n\n`;
      // A queued build with no place (a worker just claimed it) is no news: `running` follows.
      const { fetch } = fakeFetch(
        eventStream(
          queued(3, 1) +
            queued(3, 2) +
            queued(1, 3) +
            statusEvent('queued', 4) +
            statusEvent('running', 5) +
            statusEvent('succeeded', 6),
        ),
      );
      const seen: [string, number | undefined][] = [];
      for await (const build of client(fetch).followBuild(BUILD_ID, { userId: USER_ID }))
        seen.push([build.status, build.queuePosition]);

      expect(seen).toEqual([
        ['queued', 3],
        ['queued', 1],
        ['running', undefined],
        ['succeeded', undefined],
      ]);
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

    it('yields log lines too with `logs: true`, and reopens after the last line, yielding none twice', async () => {
      const { fetch, sent } = fakeFetch(
        eventStream(logEvent(1, 'a', 'b') + statusEvent('running') + logEvent(3, 'c')),
        eventStream(logEvent(3, 'c', 'd') + statusEvent('running') + statusEvent('succeeded', 2)),
      );
      const seen: string[] = [];
      for await (const event of client(fetch).followBuild(BUILD_ID, { userId: USER_ID, logs: true })) {
        seen.push(
          event.type === 'log' ? event.lines.map((line) => `${line.seq}:${line.line}`).join(' ') : event.build.status,
        );
      }

      expect(seen).toEqual(['1:a 2:b', 'running', '3:c', '4:d', 'succeeded']);
      expect(sent.map(({ url }) => url.searchParams.get('after'))).toEqual([null, '3']);
      expect(sent.every(verifies)).toBe(true);
    });

    it('yields only statuses without `logs`, skipping the log events', async () => {
      const { fetch } = fakeFetch(
        eventStream(logEvent(1, 'a') + statusEvent('running') + logEvent(2, 'b') + statusEvent('failed', 2)),
      );
      const statuses: string[] = [];
      for await (const build of client(fetch).followBuild(BUILD_ID, { userId: USER_ID })) statuses.push(build.status);

      expect(statuses).toEqual(['running', 'failed']);
    });

    it('ends after canceled, a final status like succeeded and failed', async () => {
      const { fetch, sent } = fakeFetch(
        eventStream(statusEvent('running') + statusEvent('canceled', 2) + statusEvent('running', 3)),
      );
      const statuses: string[] = [];
      for await (const build of client(fetch).followBuild(BUILD_ID, { userId: USER_ID })) statuses.push(build.status);

      expect(statuses).toEqual(['running', 'canceled']);
      expect(sent).toHaveLength(1);
    });

    it('throws the 404 of a build that is not there (or not the user’s)', async () => {
      const { fetch } = fakeFetch(problem(404, 'build_not_found'));
      const following = client(fetch).followBuild(BUILD_ID, { userId: USER_ID });
      await expect(following.next()).rejects.toMatchObject({ status: 404, code: 'build_not_found' });
    });
  });
});
