import { randomUUID } from 'node:crypto';
import { LOG_DESTINATION } from '../../src/logging/logging.tokens';
import { eventually } from '../support/processes';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

type LogLine = Record<string, unknown>;

/** Starts an app whose log lines the test reads, at `level`. */
async function appWithLogs(level: string, roles: ('api' | 'worker')[] = ['api']) {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = {
    write: (line: string) => {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  };
  const t = await startTestApp({
    roles,
    env: { LOG_LEVEL: level },
    override: (builder) => builder.overrideProvider(LOG_DESTINATION).useValue(destination),
  });
  return { t, lines, raw };
}

describe('structured logs', () => {
  let t: TestApp;
  let lines: LogLine[];
  let raw: string[];

  beforeAll(async () => {
    ({ t, lines, raw } = await appWithLogs('info', ['api', 'worker']));
  });
  afterAll(() => t?.close());

  const completions = () => lines.filter((line) => line.msg === 'request completed');
  const audits = () => lines.filter((line) => line.audit === 'create-preview-for-new-project');

  it('writes one JSON line per request, with its id (echoed) and the ids of the project it created', async () => {
    const body = createBody();
    const response = await t.http().post(CREATE_PATH).set('X-Request-Id', 'nextjs-req-42').send(body).expect(201);

    expect(response.headers['x-request-id']).toBe('nextjs-req-42');
    const mine = completions().filter((line) => line.req_id === 'nextjs-req-42');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 'info',
      method: 'POST',
      path: CREATE_PATH,
      status: 201,
      project_id: response.body.projectId,
      build_id: response.body.buildId,
      user_id: body.userId,
    });
    expect(typeof mine[0].response_time_ms).toBe('number');
  });

  it('makes a request id when the caller sends none (or an unusable one)', async () => {
    const response = await t
      .http()
      .get(`/v1/projects?userId=${randomUUID()}`)
      .set('X-Request-Id', 'has spaces')
      .expect(200);
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(completions().filter((line) => line.req_id === id)).toHaveLength(1);
  });

  it('writes one audit line per create: a new project, a replay and a dedupe each say which they were', async () => {
    const body = createBody();
    const first = await t.http().post(CREATE_PATH).set('Idempotency-Key', 'audit-1').send(body).expect(201);
    await t.http().post(CREATE_PATH).set('Idempotency-Key', 'audit-1').send(body).expect(201);
    const keyless = createBody({ userId: body.userId, prompt: 'A second app' });
    await t.http().post(CREATE_PATH).send(keyless).expect(201);
    await t.http().post(CREATE_PATH).send(keyless).expect(200);

    const mine = audits().filter((line) => line.user_id === body.userId);
    expect(mine.map((line) => [line.status, line.replayed, line.deduplicated])).toEqual([
      [201, false, false],
      [201, true, false],
      [201, false, false],
      [200, false, true],
    ]);
    expect(mine[0]).toMatchObject({
      project_id: first.body.projectId,
      build_id: first.body.buildId,
      version_id: first.body.versionId,
      id_source: 'server',
    });
  });

  it('the worker’s lines about a build carry its project, build and user ids', async () => {
    const body = createBody();
    const { body: created } = await t.http().post(CREATE_PATH).send(body).expect(201);

    const line = await eventually(
      'the build’s outcome line',
      () => Promise.resolve(lines.find((l) => l.context === 'BuildRunnerService' && l.build_id === created.buildId)),
      15_000,
    );
    expect(line).toMatchObject({
      project_id: created.projectId,
      user_id: body.userId,
      msg: 'build succeeded on attempt 1',
    });
  });

  it('never writes a prompt, a signature or the secret', async () => {
    const marker = `prompt-marker-${randomUUID()}`;
    await t
      .http()
      .post(CREATE_PATH)
      .send(createBody({ prompt: `Build ${marker}` }))
      .expect(201);
    await t.http().post(CREATE_PATH).send({ prompt: marker }).expect(400);

    const everything = raw.join('');
    expect(everything).not.toContain(marker);
    expect(everything).not.toContain(t.secret);
    expect(everything.toLowerCase()).not.toContain('x-sheen-signature');
  });
});

it('LOG_LEVEL=warn leaves out info lines', async () => {
  const { t, lines } = await appWithLogs('warn');
  try {
    await t.http().post(CREATE_PATH).send(createBody()).expect(201);
    await t.http().post(CREATE_PATH).send({}).expect(400);
    expect(lines.filter((line) => line.level === 'info')).toEqual([]);
  } finally {
    await t.close();
  }
});
