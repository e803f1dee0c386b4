import { once } from 'node:events';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { PostgresWireCounter } from '../support/postgres-wire-counter';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('PostgresWireCounter against the test PostgreSQL', () => {
  let db: TestDatabase;
  let counter: PostgresWireCounter;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    counter = await PostgresWireCounter.to(db.url);
  });

  beforeEach(async () => {
    client = new Client({ connectionString: counter.url });
    await client.connect();
    counter.reset();
  });

  afterEach(() => client.end());

  afterAll(async () => {
    await counter.close();
    await db.drop();
  });

  it('counts nothing for a connection starting up', async () => {
    const other = new Client({ connectionString: counter.url });
    await other.connect();
    await other.end();
    expect(counter.counts()).toEqual({ roundTrips: 0, statements: 0 });
  });

  it('counts a query without parameters (simple protocol) as one round trip and one statement', async () => {
    await client.query('SELECT 1');
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 1 });
  });

  it('counts a query with parameters (Parse, Bind, Describe, Execute, Sync) as one round trip and one statement', async () => {
    await client.query('SELECT $1::int', [1]);
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 1 });
  });

  it('counts three statements sent in one simple query as one round trip', async () => {
    await client.query('BEGIN; SELECT 1; COMMIT');
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 3 });
  });

  it('counts the statements a function runs as the one that called it', async () => {
    await client.query(`CREATE FUNCTION two_inserts() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN CREATE TEMP TABLE t (n int); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END $$`);
    counter.reset();
    await client.query('SELECT two_inserts()');
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 1 });
  });

  it('sums over every connection, and starts again from zero after reset', async () => {
    const other = new Client({ connectionString: counter.url });
    await other.connect();
    try {
      await Promise.all([client.query('SELECT 1'), other.query('SELECT $1::text', ['a']), other.query('SELECT 2')]);
      expect(counter.counts()).toEqual({ roundTrips: 3, statements: 3 });
      counter.reset();
      expect(counter.counts()).toEqual({ roundTrips: 0, statements: 0 });
    } finally {
      await other.end();
    }
  });

  it('counts the connections of one application_name apart, as their StartupMessage named them', async () => {
    const named = new Client({ connectionString: counter.url, application_name: 'the-transactions' });
    await named.connect();
    try {
      await Promise.all([
        client.query('SELECT 1'),
        named.query('SELECT $1::text', ['a']),
        named.query('SELECT 2; SELECT 3'),
      ]);
      expect(counter.counts('the-transactions')).toEqual({ roundTrips: 2, statements: 3 });
      expect(counter.counts('another')).toEqual({ roundTrips: 0, statements: 0 });
      expect(counter.counts()).toEqual({ roundTrips: 3, statements: 4 });
    } finally {
      await named.end();
    }
  });

  it('keeps counting right through messages split across many TCP chunks, both ways', async () => {
    // A 2 MB parameter spans many chunks on the way in; 100,000 rows do on the way out, with
    // message headers cut at chunk boundaries.
    await client.query('SELECT length($1::text)', ['x'.repeat(2_000_000)]);
    const { rowCount } = await client.query('SELECT generate_series(1, 100000)');
    await client.query('SELECT 1');
    expect(rowCount).toBe(100_000);
    expect(counter.counts()).toEqual({ roundTrips: 3, statements: 3 });
  });

  it('counts a failed statement as a round trip with no statement', async () => {
    await expect(client.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 0 });
  });
});

describe('PostgresWireCounter on a connection that asks for TLS and is refused', () => {
  /** A stand-in server that refuses TLS, then answers one query, one byte at a time. */
  let server: Server;
  let counter: PostgresWireCounter;

  beforeAll(async () => {
    server = createServer((socket) => {
      socket.setNoDelay(true);
      let received = 0;
      socket.on('data', (chunk) => {
        received += chunk.length;
        if (received === SSL_REQUEST.length) socket.write('N');
        else if (received === SSL_REQUEST.length + STARTUP.length + QUERY.length) void trickle(socket, REPLY);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    counter = await PostgresWireCounter.to(`postgres://bench@127.0.0.1:${port}/bench`);
  });

  afterAll(async () => {
    await counter.close();
    server.close();
  });

  it('reads the StartupMessage that follows the refusal, and the typed messages after it', async () => {
    const { hostname, port } = new URL(counter.url);
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    socket.write(SSL_REQUEST);
    const [answer] = (await once(socket, 'data')) as [Buffer];
    expect(answer.toString()).toBe('N');
    await trickle(socket, Buffer.concat([STARTUP, QUERY]));
    let answered = Buffer.alloc(0);
    while (answered.length < REPLY.length)
      answered = Buffer.concat([answered, ((await once(socket, 'data')) as [Buffer])[0]]);
    socket.destroy();
    expect(counter.counts()).toEqual({ roundTrips: 1, statements: 1 });
  });
});

const SSL_REQUEST = untyped(80877103, Buffer.alloc(0));
const STARTUP = untyped(196608, Buffer.from('user\0bench\0database\0bench\0\0'));
const QUERY = message('Q', 'SELECT 1\0');
const REPLY = Buffer.concat([message('C', 'SELECT 1\0'), message('Z', 'I')]);

function untyped(code: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(code, 4);
  return Buffer.concat([header, body]);
}

function message(type: string, body: string): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(4 + Buffer.byteLength(body), 1);
  return Buffer.concat([header, Buffer.from(body)]);
}

/** Writes one byte at a time, a moment apart, so the proxy sees every header cut into pieces. */
async function trickle(socket: Socket, bytes: Buffer): Promise<void> {
  for (const byte of bytes) {
    socket.write(Buffer.of(byte));
    await new Promise((wait) => setTimeout(wait, 1));
  }
}
