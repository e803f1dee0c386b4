import { signed } from './signing';

export interface ServerSentEvent {
  type: string;
  id?: string;
  data: string;
}

/** A GET signed as the NextJS app signs it; aborting `signal` is the client going away. */
export function signedGet(
  baseUrl: string,
  pathWithQuery: string,
  secret: string,
  signal?: AbortSignal,
): Promise<Response> {
  const headers = signed(secret, { method: 'GET', pathWithQuery, body: '' });
  return fetch(`${baseUrl}${pathWithQuery}`, { headers, signal });
}

/**
 * A `text/event-stream` response parsed as it arrives, the way a browser's EventSource splits it:
 * events and comments are collected in order; `ended` resolves once the server ends the response
 * (or `close()` was called) and rejects if reading it failed otherwise.
 */
export class EventStream {
  readonly events: ServerSentEvent[] = [];
  readonly comments: string[] = [];
  readonly ended: Promise<void>;
  private finished = false;
  private closedByClient = false;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.ended = this.read(response.body!).finally(() => (this.finished = true));
    // Read by the tests that wait for it; this keeps an unawaited failure from being unhandled.
    this.ended.catch(() => undefined);
  }

  /** Opens the stream, or throws with the answer when it is not one. */
  static async open(baseUrl: string, pathWithQuery: string, secret: string): Promise<EventStream> {
    const abort = new AbortController();
    const response = await signedGet(baseUrl, pathWithQuery, secret, abort.signal);
    if (response.status !== 200 || !response.body) {
      throw new Error(`expected an event stream, got ${response.status}: ${await response.text()}`);
    }
    return new EventStream(response, abort);
  }

  /** Each event's `data` parsed as JSON. */
  data<T>(): T[] {
    return this.events.map((event) => JSON.parse(event.data) as T);
  }

  /** The `data` of the events of one type (`status`, `log`), parsed as JSON. */
  dataOf<T>(type: string): T[] {
    return this.events.filter((event) => event.type === type).map((event) => JSON.parse(event.data) as T);
  }

  /** Resolves once `condition` holds; fails naming `what` after `timeoutMs`. */
  async waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${this.describe()}`);
      if (this.finished) throw new Error(`the stream ended before ${what}; got ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves once the server has ended the stream; fails after `timeoutMs`. */
  async endedByServer(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still open after ${timeoutMs} ms; got ${this.describe()}`)),
        timeoutMs,
      );
    });
    await Promise.race([this.ended, timeout]).finally(() => clearTimeout(timer));
    if (this.closedByClient) throw new Error('the client closed the stream, not the server');
  }

  /** Disconnects, as a browser tab closing would. */
  close(): void {
    if (this.finished) return;
    this.closedByClient = true;
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        const blocks = buffered.split(/\r\n\r\n|\n\n|\r\r/);
        buffered = blocks.pop()!;
        blocks.forEach((block) => this.parse(block));
      }
    } catch (error) {
      if (!this.closedByClient) throw error;
    }
  }

  private parse(block: string): void {
    let type: string | undefined;
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).replace(/^ /, ''));
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    // As in EventSource: a block without data dispatches nothing.
    if (data.length > 0)
      this.events.push({ type: type ?? 'message', ...(id !== undefined && { id }), data: data.join('\n') });
  }

  private describe(): string {
    return JSON.stringify({ events: this.events, comments: this.comments });
  }
}
