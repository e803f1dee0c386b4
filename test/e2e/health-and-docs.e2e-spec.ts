import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_LOOP_DELAY_LIMIT_MS } from '../../src/health/health.controller';
import { LOWER_CASE_UUID_PATTERN, ULID_PATTERN } from '../../src/ids/ids';
import { FRAMEWORKS } from '../../src/projects/framework';
import { ShutdownState } from '../../src/shutdown/shutdown-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { signed } from '../support/signing';
import { startTestApp, TestApp } from '../support/test-app';

/** The parts of an OpenAPI 3 document these tests read. */
interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  description?: string;
  required?: string[];
  properties?: Record<string, SchemaObject>;
}
interface MediaTypes {
  [mediaType: string]: { schema?: SchemaObject };
}
interface Operation {
  requestBody?: { content?: MediaTypes };
  responses: Record<
    string,
    {
      description?: string;
      content?: MediaTypes;
      headers?: Record<string, { description?: string; schema?: SchemaObject }>;
    }
  >;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, SchemaObject> };
}

const ref = (schema: string): string => `#/components/schemas/${schema}`;

describe('health and docs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  describe('health', () => {
    it('GET /health/live answers 200', async () => {
      const response = await t.http().get('/health/live').expect(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready answers 200 and reports the database, the build queue, the event loop and the thread pool up', async () => {
      const response = await t.http().get('/health/ready').expect(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        info: {
          database: { status: 'up' },
          queue: { status: 'up' },
          eventLoop: { status: 'up', worstDelayMs: expect.any(Number) },
          threadPool: { status: 'up' },
        },
      });
    });

    it(`GET /health/ready answers 503 once after the event loop was held over ${EVENT_LOOP_DELAY_LIMIT_MS} ms, then 200 again`, async () => {
      await t.http().get('/health/ready').expect(200);
      const until = Date.now() + EVENT_LOOP_DELAY_LIMIT_MS + 300;
      while (Date.now() < until); // holds the loop, as a synchronous parse of a huge body would

      await t.http().get('/health/ready').expect(503);
      await t.http().get('/health/ready').expect(200);
    });

    it('GET /health/ready answers 503 while every thread of libuv’s pool is stuck (blocking FIFO opens), 200 once they are freed', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'sheen-threadpool-'));
      const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
      const fifos = Array.from({ length: threads }, (_, i) => join(folder, `fifo-${i}`));
      for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
      // Each open waits in a pool thread for a writer that does not come yet.
      const readers = fifos.map((fifo) => open(fifo, 'r'));
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));

        await t.http().get('/health/ready').expect(503);
      } finally {
        const writers = fifos.map((fifo) => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        for (const reader of await Promise.all(readers)) await reader.close();
        writers.forEach(closeSync);
        await rm(folder, { recursive: true, force: true });
      }
      await t.http().get('/health/ready').expect(200);
    });
  });

  describe('docs', () => {
    let document: OpenApiDocument;

    beforeAll(async () => {
      const response = await t.http().get('/docs-json').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      document = response.body as OpenApiDocument;
    });

    const schema = (name: string): SchemaObject => {
      const found = document.components.schemas[name];
      expect(found).toBeDefined();
      return found;
    };
    const createOperation = (): Operation => {
      const operation = document.paths[CREATE_PATH]?.post;
      expect(operation).toBeDefined();
      return operation;
    };

    it('GET /docs serves the Swagger UI as HTML', async () => {
      const response = await t.http().get('/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toMatch(/swagger-ui/i);
    });

    it('GET /docs-json is an OpenAPI 3 document with the create route as a POST', () => {
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths[CREATE_PATH] ?? {})).toContain('post');
    });

    it('documents the JSON request body and the 201 response by schema', () => {
      const operation = createOperation();
      expect(operation.requestBody?.content?.['application/json']?.schema?.$ref).toBe(ref('CreatePreviewRequest'));
      expect(operation.responses['201']?.content?.['application/json']?.schema?.$ref).toBe(
        ref('CreatePreviewResponse'),
      );
    });

    it.each(['400', '402', '409', '413', '415', '500', '503'])(
      'documents %s as application/problem+json with the ProblemDetailsDto schema',
      (status) => {
        const response = createOperation().responses[status];
        expect(response).toBeDefined();
        expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
        expect(response.content?.['application/problem+json']?.schema?.$ref).toBe(ref('ProblemDetailsDto'));
        expect(document.components.schemas.ProblemDetailsDto?.properties).toEqual(
          expect.objectContaining({
            type: expect.anything(),
            title: expect.anything(),
            status: expect.anything(),
            detail: expect.anything(),
            code: expect.anything(),
          }),
        );
      },
    );

    it.each(['409', '429', '503'])('documents an integer Retry-After header on %s', (status) => {
      const header = createOperation().responses[status]?.headers?.['Retry-After'];
      expect(header).toBeDefined();
      expect(header?.schema?.type).toBe('integer');
      expect(header?.description?.trim()).toBeTruthy();
    });

    it('documents Retry-After on no other status', () => {
      const withHeader = Object.entries(createOperation().responses)
        .filter(([, response]) => response.headers?.['Retry-After'] !== undefined)
        .map(([status]) => status);
      expect(withHeader.sort()).toEqual(['409', '429', '503']);
    });

    describe.each(['CreatePreviewRequest', 'CreatePreviewResponse'])('the %s schema', (name) => {
      const properties = (): [string, SchemaObject][] => Object.entries(schema(name).properties ?? {});

      it('gives every property an example', () => {
        expect(properties().length).toBeGreaterThan(0);
        const withoutExample = properties()
          .filter(([, property]) => property.example === undefined)
          .map(([property]) => property);
        expect(withoutExample).toEqual([]);
      });

      it('describes every property, enums included', () => {
        const unexplained = properties()
          .filter(([, property]) => !property.description?.trim())
          .map(([property]) => property);
        expect(unexplained).toEqual([]);
      });

      it('gives examples that are valid values of their property', () => {
        const invalid = properties()
          .filter(([, { example, enum: values, format, description }]) => {
            if (values && !values.includes(example)) return true;
            if (format === 'uuid' && !(typeof example === 'string' && LOWER_CASE_UUID_PATTERN.test(example)))
              return true;
            return /ULID/.test(description ?? '') && !(typeof example === 'string' && ULID_PATTERN.test(example));
          })
          .map(([property]) => property);
        expect(invalid).toEqual([]);
      });
    });

    it('lists exactly userId and prompt as required in the request schema', () => {
      expect([...(schema('CreatePreviewRequest').required ?? [])].sort()).toEqual(['prompt', 'userId']);
    });

    it('lists the six frameworks as the enum of framework', () => {
      const framework = schema('CreatePreviewRequest').properties?.framework;
      expect([...(framework?.enum ?? [])].sort()).toEqual(
        ['angular', 'astro', 'nextjs', 'react', 'svelte', 'vue'].sort(),
      );
      expect([...(framework?.enum ?? [])].sort()).toEqual([...FRAMEWORKS].sort());
    });
  });
});

describe('health and connections once shutdown has begun', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t?.close());

  it('GET /health/ready answers 503 from the first moment; GET /health/live stays 200', async () => {
    await t.http().get('/health/ready').expect(200);

    t.app.get(ShutdownState).begin();

    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ready.body).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(await t.http().get('/health/live').expect(200)).toMatchObject({ body: { status: 'ok' } });
  });

  it('still serves requests, but closes each keep-alive connection after its answer', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = await t.app.getUrl();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body = '') =>
      new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
        const headers = {
          'content-type': 'application/json',
          ...signed(t.secret, { method, pathWithQuery: path, body }),
        };
        const sent = httpRequest(`${baseUrl}${path}`, { method, agent, headers }, (response) => {
          response
            .resume()
            .on('end', () => resolve({ status: response.statusCode, connection: response.headers.connection }));
        });
        sent.on('error', reject).end(body);
      });
    try {
      expect(await send('GET', '/health/live')).toEqual({ status: 200, connection: 'keep-alive' });

      t.app.get(ShutdownState).begin();

      expect(await send('POST', CREATE_PATH, JSON.stringify(createBody()))).toEqual({
        status: 201,
        connection: 'close',
      });
      expect(await send('POST', CREATE_PATH, '{}')).toEqual({ status: 400, connection: 'close' });
    } finally {
      agent.destroy();
    }
  });
});
