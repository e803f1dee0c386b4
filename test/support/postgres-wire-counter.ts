import { ConnectionTap, TcpProxy } from './tcp-proxy';

export interface WireCounts {
  /** Frontend Query and Sync messages: a simple query, or an extended-protocol batch, each waits for one answer. */
  roundTrips: number;
  /** Backend CommandComplete messages: one per statement executed. */
  statements: number;
}

/** The untyped first messages' codes (a StartupMessage carries the protocol version there instead). */
const STARTUP_CODE = 196608;
const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
/** The server's answer to an SSLRequest or GSSENCRequest that lets the connection go on in plain text. */
const PLAIN_TEXT_ANSWER = 'N';

/**
 * A TCP proxy in front of a PostgreSQL server that reads the wire protocol in both directions and
 * counts round trips and statements over every connection through it, to measure what a piece of
 * code sends per operation; by the `application_name` a connection started with, a pool's apart.
 * An encrypted connection passes uncounted.
 */
export class PostgresWireCounter {
  private constructor(
    private readonly proxy: TcpProxy,
    private readonly connections: CountedConnection[],
    /** The same URL, pointed at the counter. */
    readonly url: string,
  ) {}

  static async to(url: string): Promise<PostgresWireCounter> {
    const connections: CountedConnection[] = [];
    const proxy = await TcpProxy.to(url, () => {
      const connection = new CountedConnection();
      connections.push(connection);
      return connection;
    });
    return new PostgresWireCounter(proxy, connections, proxy.rewrite(url));
  }

  /** Since the last reset: over every connection, or over those of one `application_name`. */
  counts(applicationName?: string): WireCounts {
    const total = { roundTrips: 0, statements: 0 };
    for (const { tally, applicationName: own } of this.connections) {
      if (applicationName !== undefined && own !== applicationName) continue;
      total.roundTrips += tally.roundTrips;
      total.statements += tally.statements;
    }
    return total;
  }

  reset(): void {
    for (const { tally } of this.connections) Object.assign(tally, { roundTrips: 0, statements: 0 });
  }

  close(): Promise<void> {
    return this.proxy.cut();
  }
}

/** One connection's two directions; the frontend's first messages decide how the backend's are framed. */
class CountedConnection implements ConnectionTap {
  readonly tally: WireCounts = { roundTrips: 0, statements: 0 };
  /** What the StartupMessage named it, if anything. */
  applicationName?: string;
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

  fromClient(chunk: Buffer): void {
    if (!this.encrypted) this.frontend.push(chunk);
  }

  fromServer(chunk: Buffer): void {
    if (!this.encrypted) this.backend.push(chunk);
  }

  private fromFrontend({ type, code, body }: Message): void {
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) this.answerPending = true;
    else if (code !== undefined) {
      this.startedUp = true;
      if (code === STARTUP_CODE && body) this.applicationName = startupParameters(body).get('application_name');
    } else if (type === 'Q' || type === 'S') this.tally.roundTrips += 1;
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
  /** Kept for a StartupMessage only (its parameters); every other body is skipped as it passes. */
  body?: Buffer;
}

/** A StartupMessage's parameters: NUL-terminated names and values, then one more NUL. */
function startupParameters(body: Buffer): Map<string, string> {
  const fields = body.toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let at = 0; at + 1 < fields.length && fields[at] !== ''; at += 2) parameters.set(fields[at], fields[at + 1]);
  return parameters;
}

const HEADER_BYTES: Record<Framing, number> = { typed: 5, untyped: 8, answer: 1 };

/**
 * Cuts a byte stream into PostgreSQL messages however TCP chunked it: only each message's header
 * is buffered (a header may straddle two chunks); its body is skipped as it passes, but for a
 * StartupMessage's, which is kept whole and handed over with it.
 */
class MessageFramer {
  private header = Buffer.alloc(0);
  private bodyLeft = 0;
  /** A StartupMessage waiting for the rest of its body. */
  private startup?: { code: number; body: Buffer[] };

  constructor(
    private readonly framing: () => Framing,
    private readonly onMessage: (message: Message) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - at);
        this.startup?.body.push(chunk.subarray(at, at + skipped));
        this.bodyLeft -= skipped;
        at += skipped;
        if (this.bodyLeft === 0) this.finishStartup();
        continue;
      }
      const framing = this.framing();
      const taken = chunk.subarray(at, at + HEADER_BYTES[framing] - this.header.length);
      this.header = Buffer.concat([this.header, taken]);
      at += taken.length;
      if (this.header.length < HEADER_BYTES[framing]) return;
      const header = this.header;
      this.header = Buffer.alloc(0);
      const message = this.read(framing, header);
      if (message.code === STARTUP_CODE && this.bodyLeft > 0) this.startup = { code: message.code, body: [] };
      else this.onMessage(message);
    }
  }

  private finishStartup(): void {
    if (!this.startup) return;
    const { code, body } = this.startup;
    this.startup = undefined;
    this.onMessage({ code, body: Buffer.concat(body) });
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
