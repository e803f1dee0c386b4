import { createServer, Server, Socket, connect } from 'node:net';

/** Sees the bytes of one proxied connection as they pass, each direction apart, without changing them. */
export interface ConnectionTap {
  fromClient(chunk: Buffer): void;
  fromServer(chunk: Buffer): void;
}

/**
 * A TCP pass-through to the real database that a test can cut and restore, to make PostgreSQL
 * unreachable for the app without stopping it for every other test file.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    public port = 0,
    private readonly tapConnection?: () => ConnectionTap,
  ) {}

  /**
   * The port is chosen below Linux's ephemeral range: while the proxy is cut, a client retrying
   * an ephemeral port on loopback can connect to itself and then hold the port. `tapConnection`,
   * when given, is called for every new connection and shown its bytes.
   */
  static async to(url: string, tapConnection?: () => ConnectionTap): Promise<TcpProxy> {
    const target = new URL(url);
    for (let attempt = 0; ; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432), port, tapConnection);
      try {
        await proxy.open();
        return proxy;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 20) throw error;
      }
    }
  }

  /** The same URL, pointed at the proxy. */
  rewrite(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      const tap = this.tapConnection?.();
      if (tap) {
        client.on('data', (chunk: Buffer) => tap.fromClient(chunk));
        upstream.on('data', (chunk: Buffer) => tap.fromServer(chunk));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones, as a database that went away would. */
  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
