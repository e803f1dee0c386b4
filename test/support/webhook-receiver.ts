import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../src/net/free-port';
import { eventually } from './processes';

/** One request the receiver got, as it came. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** `webhook-id`: the event's id, the same on every retry. */
  id: string;
  /** The body parsed: `{ type, timestamp, data }`. */
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** How the receiver answers a request: a status (with headers), or never. */
export type ReceiverAnswer = { status: number; headers?: Record<string, string> } | 'never';

/**
 * A real HTTP endpoint on 127.0.0.1 that records every request and answers as the test says
 * (200 unless told otherwise; `never` holds the request open until the receiver closes).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook) => ReceiverAnswer = () => ({ status: 200 });

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/webhooks'): Promise<WebhookReceiver> {
    const port = await freePort();
    const server = createServer();
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const received = {
          headers: request.headers,
          body,
          id: String(request.headers['webhook-id']),
          event: JSON.parse(body) as ReceivedWebhook['event'],
        };
        receiver.received.push(received);
        const answer = receiver.answer(received);
        if (answer === 'never') return;
        response.writeHead(answer.status, answer.headers).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return receiver;
  }

  /** The requests about one build, project or user (whichever the event's data names). */
  about(id: string): ReceivedWebhook[] {
    return this.received.filter(({ event }) => Object.values(event.data).includes(id));
  }

  /** Resolves with the requests about `id` once `done` says they are complete. */
  waitFor(
    what: string,
    id: string,
    done: (requests: ReceivedWebhook[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<ReceivedWebhook[]> {
    return eventually(
      what,
      () => {
        const requests = this.about(id);
        return Promise.resolve(done(requests) ? requests : undefined);
      },
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The request's event as `standardwebhooks` verifies it with `secret`; throws when it does not. */
export function verified(request: ReceivedWebhook, secret: string): unknown {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
}
