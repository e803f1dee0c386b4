import { verifySignature } from '../../src/http/request-signature';
import { createWorkerClient, WorkerClient } from '../../src/client/worker-client';

// A fake worker API for the NextJS client's specs (src/client): a recording fetch and the answers it gives.

export const SECRET = 'client-spec-secret-6b1d0e2f9a7c';
export const BASE_URL = 'http://worker.test:3000';
export const USER_ID = '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69';
export const PROJECT_ID = '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a';
export const BUILD_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';
export const VERSION_ID = '01JDRZ8Q4XK8V1N9E6W3T2Y5B7';

export interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

export type Answer = Response | Error | ((sent: Sent) => Response);

/** A fetch that records what it is sent and answers from `answers`, in order. */
export function fakeFetch(...answers: Answer[]): { fetch: typeof fetch; sent: Sent[] } {
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

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function problem(
  status: number,
  code: string,
  extra: Record<string, unknown> = {},
  retryAfter?: string,
): Response {
  const body = { type: `urn:sheen:problem:${code}`, title: code, status, detail: `detail of ${code}`, code, ...extra };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/problem+json',
      ...(retryAfter !== undefined && { 'Retry-After': retryAfter }),
    },
  });
}

export function eventStream(text: string): Response {
  return new Response(text, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

export const statusEvent = (status: string, id = 1) =>
  `event: status\nid: ${id}\ndata: ${JSON.stringify({ buildId: BUILD_ID, projectId: PROJECT_ID, status })}\n\n`;

/** A `log` event with one line per text, numbered from `firstSeq`. */
export const logEvent = (firstSeq: number, ...texts: string[]) =>
  `event: log\ndata: ${JSON.stringify({
    lines: texts.map((line, index) => ({
      seq: firstSeq + index,
      attempt: 1,
      at: '2025-11-25T10:15:31.010Z',
      stream: 'stdout',
      line,
    })),
  })}\n\n`;

export const CREATED = { success: true, projectId: PROJECT_ID, buildId: BUILD_ID, status: 'queued' };

export function client(fetch: typeof globalThis.fetch, attempts = 4): WorkerClient {
  return createWorkerClient({
    baseUrl: BASE_URL,
    secret: SECRET,
    fetch,
    retry: { attempts, minDelayMs: 1, maxDelayMs: 5 },
  });
}

/** Whether the service would accept the request as sent: the signature over its path, query and body. */
export function verifies(sent: Sent): boolean {
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
