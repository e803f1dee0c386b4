import { connect } from 'node:net';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { userLock } from '../../src/database/advisory-lock';
import { MAX_JSON_DEPTH } from '../../src/http/configure-app';
import { signed } from '../support/signing';
import { persistedState } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';
import { randomUUID } from 'node:crypto';

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** ms from the first byte sent to the socket's close. */
  closedAfterMs: number;
}

/** Sends `chunks` as they are over TCP (the first at once, the others `gapMs` apart), and reads the whole answer. */
function rawRequest(port: number, chunks: string[], gapMs = 0): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    const timers: NodeJS.Timeout[] = [];
    socket.on('connect', () => {
      chunks.forEach((chunk, index) =>
        timers.push(setTimeout(() => socket.writable && socket.write(chunk), index * gapMs)),
      );
    });
    socket.on('data', (data) => (received += data.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      timers.forEach(clearTimeout);
      const [head, ...rest] = received.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        headers: head,
        body: rest.join('\r\n\r\n'),
        closedAfterMs: Date.now() - started,
      });
    });
  });
}

describe('errors the framework raises before any route runs', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(await t.app.getUrl()).port);
  });
  afterAll(() => t?.close());

  const problemOf = (answer: RawAnswer) => {
    expect(answer.headers).toMatch(/content-type: application\/problem\+json/i);
    return JSON.parse(answer.body) as { status: number; code: string; type: string; detail: string };
  };

  it('answers a URL that is not validly percent-encoded with a 400 problem, on a public route', async () => {
    const answer = await rawRequest(port, ['GET /preview/%zz/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);

    expect(answer.status).toBe(400);
    expect(problemOf(answer)).toMatchObject({
      status: 400,
      code: 'validation_failed',
      type: 'urn:sheen:problem:validation_failed',
    });
  });

  it('answers an unsigned request with a bad URL under /v1 with 401, as any unsigned request', async () => {
    const answer = await rawRequest(port, ['GET /v1/projects/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);

    expect(answer.status).toBe(401);
    expect(problemOf(answer)).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers a signed request with a bad URL under /v1 with a 400 problem', async () => {
    const path = '/v1/projects/%zz';
    const headers = Object.entries(signed(t.secret, { method: 'GET', pathWithQuery: path, body: Buffer.alloc(0) }))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const answer = await rawRequest(port, [`GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`]);

    expect(answer.status).toBe(400);
    expect(problemOf(answer)).toMatchObject({ code: 'validation_failed' });
  });

  it('answers headers larger than Node accepts with a 431 problem', async () => {
    const answer = await rawRequest(port, [
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);

    expect(answer.status).toBe(431);
    expect(problemOf(answer)).toMatchObject({ status: 431, code: 'header_fields_too_large' });
  });

  it('answers a request line that is not HTTP with a 400 problem', async () => {
    const answer = await rawRequest(port, ['NOT HTTP AT ALL\r\n\r\n']);

    expect(answer.status).toBe(400);
    expect(problemOf(answer)).toMatchObject({ code: 'validation_failed' });
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with a 400 problem, and creates nothing`, async () => {
    const before = await persistedState(t.db, t.projectsRoot);
    const deep = `{"userId":"${randomUUID()}","prompt":"deep","extra":${'['.repeat(3000)}${']'.repeat(3000)}}`;

    const response = await t.http().post(CREATE_PATH).set('Content-Type', 'application/json').send(deep).expect(400);

    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: '', message: `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels` }],
    });
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  });

  it('answers 408 and closes a connection whose body trickles in, and creates nothing', async () => {
    const before = await persistedState(t.db, t.projectsRoot);
    const body = JSON.stringify(createBody());
    const headers = Object.entries(
      signed(t.secret, { method: 'POST', pathWithQuery: CREATE_PATH, body: Buffer.from(body) }),
    )
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const head = `POST ${CREATE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${headers}\r\n`;
    // One byte a second: the whole body would take over a minute.
    const answer = await rawRequest(port, [head, ...body.split('')], 1000);

    expect(answer.status).toBe(408);
    expect(problemOf(answer)).toMatchObject({ status: 408, code: 'request_timeout' });
    expect(answer.closedAfterMs).toBeLessThan(15_000);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(before);
  }, 30_000);

  it('has the database end a transaction left idle, releasing its connection and its lock', async () => {
    const transactions = t.app.get(TransactionRunner);
    const userId = randomUUID();

    const stuck = transactions.inTransaction(userLock(userId), async ({ query }) => {
      await query('SELECT 1', []);
      // A request that hangs between two statements, holding the user's lock.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      await query('SELECT 1', []);
    });

    // The database ended the session: to the service that is a lost connection (503), never a hang.
    await expect(stuck).rejects.toThrow('The database cannot be reached right now');
    const [{ idle }] = await t.db.query<{ idle: number }>(
      `SELECT count(*)::int AS idle FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`,
    );
    expect(idle).toBe(0);
    await t.http().post(CREATE_PATH).send(createBody({ userId })).expect(201);
  }, 30_000);
});
