import type { ClientRequest } from 'node:http';
import type { Test } from 'supertest';
import {
  SIGNATURE_HEADER,
  SignatureVersion,
  SignedRequest,
  signatureHeaders,
  TIMESTAMP_HEADER,
} from '../../src/http/request-signature';

/** The secret every e2e app verifies with unless its test sets WORKER_SHARED_SECRET. */
export const TEST_SECRET = 'e2e-test-secret-0f3a9c1d7b2e4a6c';

/** How a test's requests are signed: docs/contract.md's `v1` now, unless it says otherwise. */
export interface SigningOptions {
  /** Unix seconds; another second makes another signature for the same bytes (a request signed anew). */
  at?: number;
  /** `v2` also covers the Idempotency-Key the request carries. */
  version?: SignatureVersion;
}

let lastUniqueSecond = 0;

/**
 * A timestamp (Unix seconds) that no other call in this process got, and not before now: a request
 * signed at it carries a signature of its own, even for the same bytes (a request signed anew).
 */
export function uniqueSecond(): number {
  lastUniqueSecond = Math.max(Math.floor(Date.now() / 1000), lastUniqueSecond + 1);
  return lastUniqueSecond;
}

/** The two signature headers for a request, as the NextJS app sends them; `at` in Unix seconds. */
export function signed(
  secret: string,
  request: SignedRequest,
  at: number = Math.floor(Date.now() / 1000),
  version: SignatureVersion = 'v1',
): Record<string, string> {
  return signatureHeaders(secret, request, at, version);
}

/** The parts of superagent's node Request that decide what goes on the wire. */
interface SuperagentInternals {
  _data?: unknown;
  _serializer?: (body: unknown) => string;
  request(): ClientRequest;
}

/**
 * Makes `test` sign itself just before it is sent: superagent builds its http.ClientRequest in
 * `request()` (with the final path and query, and the headers the test set) and writes the body
 * right after, so the body is serialised here exactly as superagent is about to. A test that sets
 * either signature header itself is left alone.
 */
export function signOnSend<T extends Test>(test: T, secret: string, options: SigningOptions = {}): T {
  const internals = test as unknown as SuperagentInternals;
  const build = internals.request.bind(test);
  internals.request = () => {
    // request() returns the one it built before, until a retry builds (and so signs) a new one.
    const alreadyBuilt = (test as unknown as { req?: ClientRequest | null }).req != null;
    const req = build();
    if (alreadyBuilt || req.hasHeader(TIMESTAMP_HEADER) || req.hasHeader(SIGNATURE_HEADER)) return req;
    const key = req.getHeader('Idempotency-Key');
    const headers = signed(
      secret,
      {
        method: req.method,
        pathWithQuery: req.path,
        body: bodyBytes(internals, req),
        idempotencyKey: typeof key === 'string' ? key : undefined,
      },
      options.at,
      options.version,
    );
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    return req;
  };
  return test;
}

/** superagent's `_end()`: strings and Buffers go as they are; objects through the serialiser of their content type. */
function bodyBytes({ _data: data, _serializer }: SuperagentInternals, req: ClientRequest): Buffer {
  if (req.method === 'HEAD' || data === undefined) return Buffer.alloc(0);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  const contentType = String(req.getHeader('Content-Type') ?? '').split(';')[0];
  const serialize =
    _serializer ?? (/[/+]json($|[^-\w])/i.test(contentType) ? (body: unknown) => JSON.stringify(body) : undefined);
  if (!serialize) throw new Error(`signOnSend: cannot tell the bytes of a ${contentType || 'typeless'} body`);
  return Buffer.from(serialize(data) ?? '', 'utf8');
}
