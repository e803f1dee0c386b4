import { randomUUID } from 'node:crypto';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../../src/ids/ids';
import { noNulls } from '../support/no-nulls';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Created {
  projectId: string;
  buildId: string;
  versionId: string;
}

/** Polls the build over HTTP until it has succeeded or failed, or fails the test. */
async function finishedBuild(
  t: TestApp,
  userId: string,
  buildId: string,
  timeoutMs = 20_000,
): Promise<{ status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await t.http().get(`/v1/builds/${buildId}`).query({ userId }).expect(200).expect(noNulls)).body as {
      status: string;
    };
    if (body.status === 'succeeded' || body.status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`build ${buildId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Page {
  items: { projectId: string; name: string }[];
  nextCursor?: string;
}

function expectProblem(response: { headers: Record<string, string>; body: { code: string } }, code: string) {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe(code);
}

describe('reads', () => {
  let t: TestApp;
  const userId = randomUUID();
  const stranger = randomUUID();
  let created: Created;

  beforeAll(async () => {
    // HTTP only: the build stays queued until a worker is started below.
    t = await startTestApp({ env: { AI_TIME_WELCOME_SECONDS: '600' } });
    ({ body: created } = await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ userId, prompt: 'A recipe book', name: 'Recipes', framework: 'vue' }))
      .expect(201));
  });
  afterAll(() => t?.close());

  describe('GET /v1/projects/:projectId', () => {
    it('answers the project, without a version or preview (absent, not null) before any build succeeded', async () => {
      const { body } = await t
        .http()
        .get(`/v1/projects/${created.projectId}`)
        .query({ userId })
        .expect(200)
        .expect(noNulls);

      expect(body).toEqual({
        projectId: created.projectId,
        ownerId: userId,
        name: 'Recipes',
        framework: 'vue',
        buildStatus: 'queued',
        currentBuildId: created.buildId,
        idSource: 'server',
        createdBy: 'worker-service',
        createdAt: expect.stringMatching(ISO_DATE),
        updatedAt: expect.stringMatching(ISO_DATE),
      });
    });

    it('accepts an upper-case userId and projectId', async () => {
      await t
        .http()
        .get(`/v1/projects/${created.projectId.toUpperCase()}`)
        .query({ userId: userId.toUpperCase() })
        .expect(200);
    });

    it.each([
      ['another user', () => ({ path: created.projectId, userId: stranger })],
      ['an unknown project', () => ({ path: randomUUID(), userId })],
    ])('answers 404 project_not_found for %s', async (_case, input) => {
      const { path, userId: asking } = input();
      const response = await t.http().get(`/v1/projects/${path}`).query({ userId: asking }).expect(404).expect(noNulls);
      expectProblem(response, 'project_not_found');
      // Nothing about the owner leaks.
      expect(JSON.stringify(response.body)).not.toContain(userId);
    });
  });

  describe('GET /v1/projects/:projectId/versions and GET /v1/builds/:buildId', () => {
    it('lists no version and shows the build queued and next in line, without times or error (absent, not null), before it ran', async () => {
      const versions = await t
        .http()
        .get(`/v1/projects/${created.projectId}/versions`)
        .query({ userId })
        .expect(200)
        .expect(noNulls);
      expect(versions.body).toEqual({ items: [] });

      const build = await t.http().get(`/v1/builds/${created.buildId}`).query({ userId }).expect(200).expect(noNulls);
      expect(build.body).toEqual({
        buildId: created.buildId,
        projectId: created.projectId,
        versionId: created.versionId,
        status: 'queued',
        isInitialBuild: true,
        attempts: 0,
        // The only build waiting: next to start (ADR 038).
        queuePosition: 1,
      });
    });

    it('answers 404 for another user on both, and for an unknown build', async () => {
      expectProblem(
        await t
          .http()
          .get(`/v1/projects/${created.projectId}/versions`)
          .query({ userId: stranger })
          .expect(404)
          .expect(noNulls),
        'project_not_found',
      );
      expectProblem(
        await t.http().get(`/v1/builds/${created.buildId}`).query({ userId: stranger }).expect(404).expect(noNulls),
        'build_not_found',
      );
      expectProblem(
        await t.http().get('/v1/builds/01JDRZ8Q4XK8V1N9E6W3T2Y5B6').query({ userId }).expect(404).expect(noNulls),
        'build_not_found',
      );
    });

    it("shows a failed build's error and times, and its project without a version (absent, not null)", async () => {
      const owner = randomUUID();
      const { body: failed } = await t
        .http()
        .post(CREATE_PATH)
        .send(createBody({ userId: owner }))
        .expect(201);
      await t.db.query(
        `UPDATE project_build_metrics
            SET status = 'failed', attempts = 1, error = 'it broke', started_at = now(), finished_at = now(),
                duration_ms = 42
          WHERE build_id = $1`,
        [failed.buildId],
      );
      await t.db.query(`UPDATE projects SET build_status = 'failed' WHERE id = $1`, [failed.projectId]);

      const build = await t.http().get(`/v1/builds/${failed.buildId}`).query({ userId: owner }).expect(200);
      expect(build.body).toEqual({
        buildId: failed.buildId,
        projectId: failed.projectId,
        versionId: failed.versionId,
        status: 'failed',
        isInitialBuild: true,
        attempts: 1,
        startedAt: expect.stringMatching(ISO_DATE),
        finishedAt: expect.stringMatching(ISO_DATE),
        durationMs: 42,
        error: 'it broke',
      });
      const project = await t
        .http()
        .get(`/v1/projects/${failed.projectId}`)
        .query({ userId: owner })
        .expect(200)
        .expect(noNulls);
      expect(project.body).toMatchObject({ buildStatus: 'failed', currentBuildId: failed.buildId });
      expect(project.body).not.toHaveProperty('currentVersionId');
      expect(project.body).not.toHaveProperty('previewUrl');
      expect(project.body).not.toHaveProperty('livePreviewUrl');
    });

    it('lists the one version once a worker built it, and the project points at its preview', async () => {
      const worker = await startTestApp({
        roles: ['worker'],
        database: t.db,
        env: { PROJECTS_ROOT: t.projectsRoot, AI_TIME_WELCOME_SECONDS: '600' },
      });
      try {
        const build = await finishedBuild(t, userId, created.buildId);
        expect(build).not.toHaveProperty('error');
        expect(build).toMatchObject({
          status: 'succeeded',
          attempts: 1,
          startedAt: expect.stringMatching(ISO_DATE),
          finishedAt: expect.stringMatching(ISO_DATE),
          durationMs: expect.any(Number),
        });
      } finally {
        await worker.app.close();
      }
      const previewUrl = `/preview/${created.projectId}/${created.versionId}/`;

      const versions = await t
        .http()
        .get(`/v1/projects/${created.projectId}/versions`)
        .query({ userId })
        .expect(200)
        .expect(noNulls);
      expect(versions.body).toEqual({
        items: [
          {
            versionId: created.versionId,
            buildId: created.buildId,
            prompt: 'A recipe book',
            framework: 'vue',
            createdAt: expect.stringMatching(ISO_DATE),
            previewUrl,
          },
        ],
      });

      const project = await t
        .http()
        .get(`/v1/projects/${created.projectId}`)
        .query({ userId })
        .expect(200)
        .expect(noNulls);
      expect(project.body).toMatchObject({
        buildStatus: 'ready',
        currentVersionId: created.versionId,
        previewUrl,
        livePreviewUrl: `/preview/${created.projectId}/`,
      });
    });
  });

  describe('GET /v1/projects', () => {
    const owner = randomUUID();
    let expected: string[];

    beforeAll(async () => {
      // Seven projects, three of them created in the same microsecond, so the id breaks ties.
      const tie = '2025-01-02T03:04:05.123456Z';
      const rows = [
        { id: randomUUID(), createdAt: '2025-01-01T00:00:00.000001Z' },
        { id: randomUUID(), createdAt: tie },
        { id: randomUUID(), createdAt: tie },
        { id: randomUUID(), createdAt: tie },
        { id: randomUUID(), createdAt: '2025-01-02T03:04:05.123457Z' },
        { id: randomUUID(), createdAt: '2025-03-01T00:00:00Z' },
        { id: randomUUID(), createdAt: '2025-04-01T00:00:00Z' },
      ];
      for (const row of rows) {
        await t.db.query(
          `INSERT INTO projects (id, owner_id, name, framework, id_source, created_at, updated_at)
           VALUES ($1, $2, 'Seeded', 'react', 'server', $3, $3)`,
          [row.id, owner, row.createdAt],
        );
      }
      // A project of another user that must never show up.
      await t.db.query(
        `INSERT INTO projects (id, owner_id, name, framework, id_source) VALUES ($1, $2, 'Other', 'react', 'server')`,
        [randomUUID(), stranger],
      );
      expected = rows
        .sort((a, b) =>
          a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt),
        )
        .map((row) => row.id);
    });

    it('pages newest first across three pages with no duplicates and no gaps', async () => {
      const first = await t.http().get('/v1/projects').query({ userId: owner, limit: 3 }).expect(200).expect(noNulls);
      expect(first.body.items).toHaveLength(3);
      expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(first.body.items[0]).toEqual({
        projectId: expected[0],
        ownerId: owner,
        name: 'Seeded',
        framework: 'react',
        buildStatus: 'queued',
        idSource: 'server',
        createdBy: 'worker-service',
        createdAt: '2025-04-01T00:00:00.000Z',
        updatedAt: '2025-04-01T00:00:00.000Z',
      });

      const second = await t
        .http()
        .get('/v1/projects')
        .query({ userId: owner, limit: 3, cursor: first.body.nextCursor })
        .expect(200);
      expect(second.body.items).toHaveLength(3);
      const third = await t
        .http()
        .get('/v1/projects')
        .query({ userId: owner, limit: 3, cursor: second.body.nextCursor })
        .expect(200)
        .expect(noNulls);
      expect(third.body.items).toHaveLength(1);
      expect(third.body).not.toHaveProperty('nextCursor');

      const ids = [...first.body.items, ...second.body.items, ...third.body.items].map(
        (item: { projectId: string }) => item.projectId,
      );
      expect(ids).toEqual(expected);
    });

    it('gives 20 at most by default, and an exact last page has no next cursor', async () => {
      const all = (await t.http().get('/v1/projects').query({ userId: owner }).expect(200).expect(noNulls))
        .body as Page;
      expect(all.items.map((item) => item.projectId)).toEqual(expected);
      expect(all).not.toHaveProperty('nextCursor');

      const exact = await t.http().get('/v1/projects').query({ userId: owner, limit: 7 }).expect(200).expect(noNulls);
      expect(exact.body.items).toHaveLength(7);
      expect(exact.body).not.toHaveProperty('nextCursor');
    });

    it('answers an empty page to a user with no projects', async () => {
      const { body } = await t.http().get('/v1/projects').query({ userId: randomUUID() }).expect(200).expect(noNulls);
      expect(body).toEqual({ items: [] });
    });

    it("never lists another user's projects", async () => {
      const page = (await t.http().get('/v1/projects').query({ userId: stranger }).expect(200)).body as Page;
      expect(page.items.map((item) => item.name)).toEqual(['Other']);
    });
  });

  describe('bad input', () => {
    it.each([
      ['no userId', '/v1/projects', {}],
      ['a userId that is not a UUID', '/v1/projects', { userId: 'nope' }],
      ['a repeated userId', '/v1/projects?userId=7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69', { userId: randomUUID() }],
      ['limit 0', '/v1/projects', { userId: randomUUID(), limit: 0 }],
      ['limit 101', '/v1/projects', { userId: randomUUID(), limit: 101 }],
      ['limit 1.5', '/v1/projects', { userId: randomUUID(), limit: '1.5' }],
      ['limit abc', '/v1/projects', { userId: randomUUID(), limit: 'abc' }],
      ['limit 1e1', '/v1/projects', { userId: randomUUID(), limit: '1e1' }],
      ['a malformed cursor', '/v1/projects', { userId: randomUUID(), cursor: 'not+a/cursor' }],
      [
        'a cursor of garbage',
        '/v1/projects',
        { userId: randomUUID(), cursor: Buffer.from('2025-13-01|x').toString('base64url') },
      ],
      ['an empty cursor', '/v1/projects', { userId: randomUUID(), cursor: '' }],
      [
        'a cursor in year 0000, which PostgreSQL has no timestamp for',
        '/v1/projects',
        {
          userId: randomUUID(),
          cursor: Buffer.from(`0000-01-01T00:00:00.000000Z|${randomUUID()}`).toString('base64url'),
        },
      ],
      ['an unknown parameter', '/v1/projects', { userId: randomUUID(), page: 2 }],
      ['a project id that is not a UUID', '/v1/projects/not-a-uuid', { userId: randomUUID() }],
      ['no userId on a project', `/v1/projects/${randomUUID()}`, {}],
      ['a versions project id that is not a UUID', '/v1/projects/123/versions', { userId: randomUUID() }],
      ['no userId on versions', `/v1/projects/${randomUUID()}/versions`, {}],
      ['a build id that is not a ULID', '/v1/builds/not-a-ulid', { userId: randomUUID() }],
      [
        'a build id with a letter outside Crockford base32',
        '/v1/builds/01JDRZ8Q4XK8V1N9E6W3T2Y5BU',
        {
          userId: randomUUID(),
        },
      ],
      ['no userId on a build', '/v1/builds/01JDRZ8Q4XK8V1N9E6W3T2Y5B6', {}],
    ])('answers 400 validation_failed for %s', async (_case, path, query) => {
      const response = await t.http().get(path).query(query).expect(400).expect(noNulls);
      expectProblem(response, 'validation_failed');
      expect(response.body.errors?.length).toBeGreaterThan(0);
    });

    it('accepts a lower-case build id', async () => {
      await t.http().get(`/v1/builds/${created.buildId.toLowerCase()}`).query({ userId }).expect(200);
    });
  });

  describe('docs', () => {
    interface Schema {
      example?: unknown;
      nullable?: boolean;
      required?: string[];
      description?: string;
      format?: string;
      enum?: unknown[];
      type?: string;
      items?: { $ref?: string };
      properties?: Record<string, Schema>;
    }
    let document: {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, Schema> };
    };

    beforeAll(async () => {
      document = (await t.http().get('/docs-json').expect(200)).body;
    });

    it.each([
      ['/v1/projects', ['200', '400', '401', '500', '503'], ['userId', 'limit', 'cursor']],
      ['/v1/projects/{projectId}', ['200', '400', '401', '404', '500', '503'], ['projectId', 'userId']],
      ['/v1/projects/{projectId}/versions', ['200', '400', '401', '404', '500', '503'], ['projectId', 'userId']],
      ['/v1/builds/{buildId}', ['200', '400', '401', '404', '500', '503'], ['buildId', 'userId']],
    ])('documents GET %s with its parameters and problems', (path, statuses, parameters) => {
      const operation = document.paths[path]?.get;
      expect(operation).toBeDefined();
      expect(Object.keys(operation.responses).sort()).toEqual(statuses);
      expect((operation.parameters ?? []).map((parameter) => parameter.name).sort()).toEqual([...parameters].sort());
    });

    it('documents no property as nullable: a field that may have no value is optional instead', () => {
      const nullable = Object.entries(document.components.schemas).flatMap(([name, schema]) =>
        Object.entries(schema.properties ?? {})
          .filter(([, property]) => property.nullable === true)
          .map(([property]) => `${name}.${property}`),
      );
      expect(nullable).toEqual([]);
    });

    it.each([
      ['ProjectResponse', ['currentVersionId', 'currentBuildId', 'previewUrl', 'livePreviewUrl']],
      ['ProjectListResponse', ['nextCursor']],
      ['BuildResponse', ['startedAt', 'finishedAt', 'durationMs', 'error']],
    ])('documents the fields %s may leave out as not required', (name, optional) => {
      const schema = document.components.schemas[name];
      expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(optional));
      expect(schema.required?.filter((field) => optional.includes(field))).toEqual([]);
    });

    it.each(['ProjectResponse', 'ProjectListResponse', 'VersionResponse', 'VersionListResponse', 'BuildResponse'])(
      'describes every property of %s with a valid example',
      (name) => {
        const properties = Object.entries(document.components.schemas[name]?.properties ?? {});
        expect(properties.length).toBeGreaterThan(0);
        const bad = properties
          .filter(([, property]) => {
            if (!property.description?.trim()) return true;
            if (property.items?.$ref) return false;
            if (property.example === undefined) return true;
            if (property.enum && !property.enum.includes(property.example)) return true;
            const example = typeof property.example === 'string' ? property.example : '';
            if (property.format === 'uuid' && !LOWER_CASE_UUID_PATTERN.test(example)) return true;
            return /ULID/.test(property.description) && !ULID_PATTERN.test(example);
          })
          .map(([property]) => property);
        expect(bad).toEqual([]);
      },
    );
  });
});
