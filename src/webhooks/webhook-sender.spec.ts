import { randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../net/free-port';
import { ClaimedDelivery } from './claimed-delivery';
import { sendWebhook, WEBHOOK_USER_AGENT } from './webhook-sender';

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** What the endpoint saw of one request. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real local endpoint: every request is recorded, then answered by `answer`. */
class Endpoint {
  readonly received: Received[] = [];
  answer: (response: ServerResponse, request: IncomingMessage) => void = (response) => response.end();
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      this.answer(response, request);
    });
  });

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path = '/hooks'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Drops the connections of answers a test left hanging, so the next test starts clean. */
  reset(): void {
    this.received.length = 0;
    this.answer = (response) => response.end();
    this.server.closeAllConnections();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const delivery = (endpointUrl: string): ClaimedDelivery => ({
  deliveryId: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  eventId: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6',
  endpointUrl,
  attempt: 1,
  body: JSON.stringify({ type: 'project.deleted', timestamp: '2026-12-07T09:00:00.000Z', data: { ü: 'ß' } }),
  recordedAt: new Date('2026-12-07T09:00:00.000Z'),
});

const notStopped = (): AbortSignal => new AbortController().signal;

describe('sendWebhook', () => {
  const endpoint = new Endpoint();
  const secrets = [newSecret(), newSecret()];

  beforeAll(() => endpoint.listen());
  afterEach(() => endpoint.reset());
  afterAll(() => endpoint.close());

  it('POSTs the body once, with its webhook-id, a current webhook-timestamp and a signature each secret verifies', async () => {
    endpoint.answer = (response) => response.writeHead(204).end();
    const sent = delivery(endpoint.url());
    const before = Date.now();

    const answer = await sendWebhook(sent, secrets, 5000, notStopped());

    expect(answer).toMatchObject({ statusCode: 204, error: null, retryAfter: null });
    expect(answer.attemptedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(endpoint.received).toHaveLength(1);
    const [{ path, headers, body }] = endpoint.received;
    expect(path).toBe('/hooks');
    expect(body).toBe(sent.body);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'webhook-id': sent.eventId,
    });
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    const signed = {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    };
    for (const secret of secrets) expect(new Webhook(secret).verify(body, signed)).toEqual(JSON.parse(sent.body));
    expect(() => new Webhook(newSecret()).verify(body, signed)).toThrow(/No matching signature/);
  });

  it('answers the status and Retry-After of an answer that is not 2xx', async () => {
    endpoint.answer = (response) => response.writeHead(503, { 'retry-after': '7' }).end('busy');

    const answer = await sendWebhook(delivery(endpoint.url()), secrets, 5000, notStopped());

    expect(answer).toMatchObject({ statusCode: 503, error: null, retryAfter: '7' });
  });

  it('does not follow a redirect: the 3xx comes back and its Location gets no request', async () => {
    endpoint.answer = (response, request) =>
      request.url === '/hooks'
        ? response.writeHead(307, { location: endpoint.url('/elsewhere') }).end()
        : response.writeHead(204).end();

    const answer = await sendWebhook(delivery(endpoint.url()), secrets, 5000, notStopped());

    expect(answer).toMatchObject({ statusCode: 307, error: null });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(endpoint.received.map(({ path }) => path)).toEqual(['/hooks']);
  });

  it('gives up on an endpoint that never answers after timeoutMs: a timeout, without a status', async () => {
    endpoint.answer = () => undefined;

    const answer = await sendWebhook(delivery(endpoint.url()), secrets, 300, notStopped());

    expect(answer).toMatchObject({ statusCode: null, error: 'timeout: no answer in time', retryAfter: null });
    expect(answer.durationMs).toBeGreaterThanOrEqual(290);
    expect(answer.durationMs).toBeLessThan(3000);
  });

  it('does not read the body: an endless one still gives the status at once, and its connection is dropped', async () => {
    let written = 0;
    const dropped = new Promise<number>((resolve) => {
      endpoint.answer = (response) => {
        response.on('close', () => resolve(Date.now()));
        const chunk = Buffer.alloc(64 * 1024, 'x');
        response.writeHead(200, { 'content-type': 'text/plain' });
        const writeMore = (): void => {
          while (!response.destroyed && response.write(chunk)) written += chunk.length;
        };
        response.on('drain', writeMore);
        writeMore();
      };
    });
    const started = Date.now();

    const answer = await sendWebhook(delivery(endpoint.url()), secrets, 60_000, notStopped());

    expect(answer).toMatchObject({ statusCode: 200, error: null });
    expect(answer.durationMs).toBeLessThan(3000);
    expect((await dropped) - started).toBeLessThan(3000);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers without a status when `stop` aborts the request, without waiting for the timeout', async () => {
    endpoint.answer = () => undefined;
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);

    const answer = await sendWebhook(delivery(endpoint.url()), secrets, 10_000, stop.signal);

    expect(answer).toMatchObject({ statusCode: null, retryAfter: null });
    expect(answer.error).toBeTruthy();
    expect(answer.error).not.toMatch(/^timeout/);
    expect(answer.durationMs).toBeLessThan(3000);
    expect(endpoint.received).toHaveLength(1);
  });

  it('answers a refused connection as an error without a status, never throwing', async () => {
    const answer = await sendWebhook(
      delivery(`http://127.0.0.1:${await freePort()}/hooks`),
      secrets,
      5000,
      notStopped(),
    );

    expect(answer).toMatchObject({ statusCode: null, retryAfter: null });
    expect(answer.error).toMatch(/ECONNREFUSED/);
  });
});
