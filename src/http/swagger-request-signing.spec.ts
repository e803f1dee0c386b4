import type { OpenAPIObject } from '@nestjs/swagger';
import { runInNewContext } from 'node:vm';
import { computeSignature, verifySignature } from './request-signature';
import {
  browserFunction,
  BROWSER_REQUEST_SIGNER,
  requireSignatures,
  SECURITY_SCHEME,
  SWAGGER_SECRET_HEADER,
} from './swagger-request-signing';

interface SwaggerRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

const SECRET = 'swagger-ui-test-secret-0001';

/**
 * The interceptor as the browser gets it: its source evaluated on its own, with only what a page
 * offers (Web Crypto, TextEncoder, URL). Node's Web Crypto is the same API as the browser's.
 */
const intercept = runInNewContext(`(${BROWSER_REQUEST_SIGNER})`, { crypto, TextEncoder, URL }) as (
  request: SwaggerRequest,
) => Promise<SwaggerRequest>;

function swaggerRequest(overrides: Partial<SwaggerRequest> = {}): SwaggerRequest {
  return {
    url: 'http://127.0.0.1:3000/v1/create-preview-for-new-project?tag=a%20b',
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [SWAGGER_SECRET_HEADER]: SECRET },
    body: '{\n  "userId": "6f1c2b9e-0d3a-4c5b-8e7f-9a0b1c2d3e4f",\n  "prompt": "café 😀"\n}',
    ...overrides,
  };
}

describe('the Swagger UI request interceptor', () => {
  it('signs (v2) method, path with query and the exact body bytes, as the server verifies them', async () => {
    const request = swaggerRequest();
    const body = request.body;
    const before = Math.floor(Date.now() / 1000);

    const sent = await intercept(request);

    const timestamp = sent.headers['X-Sheen-Timestamp'];
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const signed = { method: 'POST', pathWithQuery: '/v1/create-preview-for-new-project?tag=a%20b', body };
    expect(sent.headers['X-Sheen-Signature']).toBe(computeSignature(SECRET, timestamp, signed, 'v2'));
    expect(
      verifySignature(
        [SECRET],
        { timestamp, signature: sent.headers['X-Sheen-Signature'] },
        { ...signed, body: Buffer.from(body!, 'utf8') },
        Date.now() / 1000,
      ),
    ).toMatchObject({ valid: true });
    expect(sent.body).toBe(body);
  });

  it('covers the Idempotency-Key the request carries, whatever the header’s case', async () => {
    const headers = { 'idempotency-KEY': 'swagger-try-1', [SWAGGER_SECRET_HEADER]: SECRET };
    const request = swaggerRequest({ headers });

    const sent = await intercept(request);

    const timestamp = sent.headers['X-Sheen-Timestamp'];
    const signed = {
      method: 'POST',
      pathWithQuery: '/v1/create-preview-for-new-project?tag=a%20b',
      body: request.body,
      idempotencyKey: 'swagger-try-1',
    };
    expect(sent.headers['X-Sheen-Signature']).toBe(computeSignature(SECRET, timestamp, signed, 'v2'));
  });

  it.each([SWAGGER_SECRET_HEADER, SWAGGER_SECRET_HEADER.toLowerCase()])(
    'takes the secret header (%s) out of the request, so the secret is never sent',
    async (name) => {
      const sent = await intercept(swaggerRequest({ headers: { [name]: SECRET, Accept: 'application/json' } }));

      expect(Object.keys(sent.headers).sort()).toEqual(['Accept', 'X-Sheen-Signature', 'X-Sheen-Timestamp']);
      expect(JSON.stringify(sent)).not.toContain(SECRET);
    },
  );

  it('signs an empty body for a GET and upper-cases the method', async () => {
    const sent = await intercept(
      swaggerRequest({ method: 'get', url: 'http://127.0.0.1:3000/v1/projects?userId=x', body: undefined }),
    );

    expect(sent.headers['X-Sheen-Signature']).toBe(
      computeSignature(
        SECRET,
        sent.headers['X-Sheen-Timestamp'],
        {
          method: 'GET',
          pathWithQuery: '/v1/projects?userId=x',
        },
        'v2',
      ),
    );
  });

  it('trims the secret as the server trims WORKER_SHARED_SECRET', async () => {
    const sent = await intercept(swaggerRequest({ headers: { [SWAGGER_SECRET_HEADER]: `  ${SECRET} ` } }));
    const plain = swaggerRequest();

    expect(sent.headers['X-Sheen-Signature']).toBe(
      computeSignature(
        SECRET,
        sent.headers['X-Sheen-Timestamp'],
        {
          method: 'POST',
          pathWithQuery: '/v1/create-preview-for-new-project?tag=a%20b',
          body: plain.body,
        },
        'v2',
      ),
    );
  });

  it('leaves a request without the secret (not authorized, or not a /v1 route) as it is', async () => {
    const request = swaggerRequest({ headers: { Accept: 'application/json' } });

    const sent = await intercept(request);

    expect(sent.headers).toEqual({ Accept: 'application/json' });
  });

  it('refuses, with a clear message, where the page has no Web Crypto (plain http on another host)', async () => {
    const insecure = runInNewContext(`(${BROWSER_REQUEST_SIGNER})`, { TextEncoder, URL }) as typeof intercept;

    await expect(insecure(swaggerRequest())).rejects.toThrow(/secure context/);
  });
});

describe('browserFunction', () => {
  it('is written into the page as the given source and never runs on the server', () => {
    const placeholder = browserFunction('async (request) => request');

    expect(String(placeholder)).toBe('async (request) => request');
    expect(() => placeholder()).toThrow(/browser/);
  });
});

describe('requireSignatures', () => {
  const operation = () => ({ responses: { '201': { description: 'created' } } });
  const document = (): OpenAPIObject => ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/v1/create-preview-for-new-project': { post: operation() },
      '/v1/projects/{projectId}': { get: operation(), delete: operation() },
      '/health/live': { get: operation() },
    },
  });

  it('marks every /v1 operation as signed and answering 401 unauthorized', () => {
    const { paths } = requireSignatures(document());

    for (const op of [
      paths['/v1/create-preview-for-new-project'].post,
      paths['/v1/projects/{projectId}'].get,
      paths['/v1/projects/{projectId}'].delete,
    ]) {
      expect(op?.security).toEqual([{ [SECURITY_SCHEME]: [] }]);
      expect(op?.responses['401']).toMatchObject({
        description: expect.stringContaining('unauthorized'),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      });
      expect(op?.responses['201']).toEqual({ description: 'created' });
    }
  });

  it('declares routes outside /v1 as needing no signature', () => {
    const health = requireSignatures(document()).paths['/health/live'].get;

    expect(health?.security).toEqual([]);
    expect(health?.responses['401']).toBeUndefined();
  });
});
