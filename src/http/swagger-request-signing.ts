import type { OpenAPIObject } from '@nestjs/swagger';
import { isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './request-signature';

/**
 * Swagger UI with signing on: its Authorize dialog takes the shared secret as an API key in this
 * pseudo-header, and a request interceptor running in the browser takes it out again and signs the
 * request with it (Web Crypto), so the secret stays in the page and never goes over the wire.
 */

export const SECURITY_SCHEME = 'workerSignature';
/** Carries the secret from the Authorize dialog to the interceptor only; never sent. */
export const SWAGGER_SECRET_HEADER = 'X-Sheen-Swagger-Secret';

export const SECURITY_SCHEME_DESCRIPTION =
  `Every /v1 request carries ${TIMESTAMP_HEADER} (Unix seconds) and ${SIGNATURE_HEADER}: ` +
  'v1= and the lowercase hex HMAC-SHA256, keyed with the shared secret (WORKER_SHARED_SECRET), of ' +
  '`${timestamp}.${METHOD}.${pathWithQuery}.${rawBody}`; or v2= and the same over ' +
  '`${idempotencyKey}\\n${timestamp}.${METHOD}.${pathWithQuery}.${rawBody}` (the Idempotency-Key, empty when none is ' +
  'sent), so the key cannot be changed on a signed request. A write spends its signature: the same signature ' +
  'again is 401 signature_replayed, unless it comes with the same Idempotency-Key (the stored answer is ' +
  'replayed) or is an identical create without a key inside the dedupe window. Here, enter the secret: this ' +
  'page signs each request (v2) in the browser and never sends the secret. Signing needs a secure context ' +
  '(https, or localhost).';

/**
 * The interceptor's source, run by the browser (and by the unit test, on Node's Web Crypto). It
 * signs (v2) exactly what fetch will send: the Idempotency-Key, the method, the URL's path and
 * query, and the body string.
 */
export const BROWSER_REQUEST_SIGNER = `async (request) => {
  const secretHeader = Object.keys(request.headers || {}).find(
    (name) => name.toLowerCase() === ${JSON.stringify(SWAGGER_SECRET_HEADER.toLowerCase())},
  );
  if (secretHeader === undefined) return request;
  const secret = String(request.headers[secretHeader]).trim();
  delete request.headers[secretHeader];
  if (secret === '') return request;
  if (!globalThis.crypto || !globalThis.crypto.subtle) {
    throw new Error('Signing needs Web Crypto, which browsers offer only in a secure context: open the docs over https or on localhost.');
  }
  const body = request.body === undefined || request.body === null ? '' : request.body;
  if (typeof body !== 'string') throw new Error('Only a JSON or empty body can be signed here.');
  const url = new URL(request.url, globalThis.location ? globalThis.location.href : undefined);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const keyHeader = Object.keys(request.headers).find((name) => name.toLowerCase() === 'idempotency-key');
  const idempotencyKey = keyHeader === undefined ? '' : String(request.headers[keyHeader]);
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const message = encoder.encode(
    idempotencyKey + '\\n' + timestamp + '.' + request.method.toUpperCase() + '.' + url.pathname + url.search + '.' + body,
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  request.headers[${JSON.stringify(TIMESTAMP_HEADER)}] = timestamp;
  request.headers[${JSON.stringify(SIGNATURE_HEADER)}] =
    'v2=' + Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return request;
}`;

/**
 * @nestjs/swagger writes each function in `swaggerOptions` into swagger-ui-init.js through its
 * `toString()`. This one stands for `source`: it never runs on the server, and its text does not
 * depend on how (or whether) the TypeScript around it was compiled or instrumented.
 */
export function browserFunction(source: string): () => never {
  const placeholder = (): never => {
    throw new Error('runs in the browser only');
  };
  placeholder.toString = () => source;
  return placeholder;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Marks every /v1 operation as needing the signature (so Swagger UI hands it the secret) and as
 * answering 401 `unauthorized` (and a write `signature_replayed`), as the global SignatureGuard does;
 * every other operation as needing none (`security: []`), so no route is left undeclared (ADR 042).
 */
export function requireSignatures(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const signed = isSignedRoute(path);
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (!signed) {
        operation.security = [];
        continue;
      }
      operation.security = [{ [SECURITY_SCHEME]: [] }];
      operation.responses['401'] ??= {
        description:
          method === 'get'
            ? 'application/problem+json with code `unauthorized`: a missing, malformed, stale or wrong signature'
            : 'application/problem+json with code `unauthorized` (a missing, malformed, stale or wrong signature) or `signature_replayed` (a signature an earlier request already spent)',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      };
    }
  }
  return document;
}
