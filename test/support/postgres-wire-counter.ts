import { ConnectionTap, TcpProxy } from './tcp-proxy';

export interface WireCounts {
  /** Frontend Query and Sync messages: a simple query, or an extended-protocol batch, each waits for one answer. */
  roundTrips: number;
  /** Backend CommandComplete messages: one per statement executed. */
  statements: number;
}

/** The untyped first messages' codes (a StartupMessage carries the protocol version there instead). */
const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
/** The server's answer to an SSLRequest or GSSENCRequest that lets the connection go on in plain text. */
const PLAIN_TEXT_ANSWER = 'N';

/**
 * A TCP proxy in front of a PostgreSQL server that reads the wire protocol in both directions and
 * counts round trips and statements over every connection through it, to measure what a piece of
 * code sends per operation. An encrypted connection passes uncounted.
 */
export class PostgresWireCounter {
  private constructor(
    private readonly proxy: TcpProxy,
    private readonly tally: WireCounts,
    /** The same URL, pointed at the counter. */
    readonly url: string,
  ) {}

  static async to(url: string): Promise<PostgresWireCounter> {
    const tally = { roundTrips: 0, statements: 0 };
    const proxy = await TcpProxy.to(url, () => new CountedConnection(tally));
    return new PostgresWireCounter(proxy, tally, proxy.rewrite(url));
  }

  counts(): WireCounts {
    return { ...this.tally };
  }

  reset(): void {
    this.tally.roundTrips = 0;
    this.tally.statements = 0;
  }

  close(): Promise<void> {
    return this.proxy.cut();
  }
}

/** One connection's two directions; the frontend's first messages decide how the backend's are framed. */
class CountedConnection implements ConnectionTap {
  private startedUp = false;
  private answerPending = false;
  private encrypted = false;
  private readonly frontend = new MessageFramer(
    () => (this.startedUp ? 'typed' : 'untyped'),
    (message) => this.fromFrontend(message),
  );
  private readonly backend = new MessageFramer(
    () => (this.answerPending ? 'answer' : 'typed'),
    (message) => this.fromBackend(message),
  );

  constructor(private readonly tally: WireCounts) {}

  fromClient(chunk: Buffer): void {
    if (!this.encrypted) this.frontend.push(chunk);
  }

  fromServer(chunk: Buffer): void {
    if (!this.encrypted) this.backend.push(chunk);
  }

  private fromFrontend({ type, code }: Message): void {
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) this.answerPending = true;
    else if (code !== undefined) this.startedUp = true;
    else if (type === 'Q' || type === 'S') this.tally.roundTrips += 1;
  }

  private fromBackend({ type }: Message): void {
    if (this.answerPending) {
      this.answerPending = false;
      this.encrypted = type !== PLAIN_TEXT_ANSWER;
    } else if (type === 'C') {
      this.tally.statements += 1;
    }
  }
}

/**
 * How the next message starts: a type byte and a length (`typed`), a length and a code (`untyped`,
 * a connection's first frontend messages), or a single byte and nothing else (`answer`, the
 * server's reply to an SSLRequest or GSSENCRequest).
 */
type Framing = 'typed' | 'untyped' | 'answer';

interface Message {
  type?: string;
  code?: number;
}

const HEADER_BYTES: Record<Framing, number> = { typed: 5, untyped: 8, answer: 1 };

/**
 * Cuts a byte stream into PostgreSQL messages however TCP chunked it: only each message's header
 * is buffered (a header may straddle two chunks); its body is skipped as it passes.
 */
class MessageFramer {
  private header = Buffer.alloc(0);
  private bodyLeft = 0;

  constructor(
    private readonly framing: () => Framing,
    private readonly onMessage: (message: Message) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= skipped;
        at += skipped;
        continue;
      }
      const framing = this.framing();
      const taken = chunk.subarray(at, at + HEADER_BYTES[framing] - this.header.length);
      this.header = Buffer.concat([this.header, taken]);
      at += taken.length;
      if (this.header.length < HEADER_BYTES[framing]) return;
      const header = this.header;
      this.header = Buffer.alloc(0);
      this.onMessage(this.read(framing, header));
    }
  }

  /** The message its header describes; the length it gives counts itself, never the type byte. */
  private read(framing: Framing, header: Buffer): Message {
    switch (framing) {
      case 'typed':
        this.bodyLeft = header.readInt32BE(1) - 4;
        return { type: String.fromCharCode(header[0]) };
      case 'untyped':
        this.bodyLeft = header.readInt32BE(0) - 8;
        return { code: header.readInt32BE(4) };
      case 'answer':
        return { type: String.fromCharCode(header[0]) };
    }
  }
}
