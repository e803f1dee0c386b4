import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from './webhook-verifier';

const secret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
const SECRET = secret();
const EVENT_ID = '01JDRZ9A7B2K4N6Q8S0U2W4Y6A';
const BODY = JSON.stringify({
  type: 'build.succeeded',
  timestamp: '2025-11-25T10:15:42.456Z',
  data: {
    userId: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
    projectId: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
    buildId: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6',
    versionId: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
    status: 'succeeded',
    secondsBilled: 42,
  },
});

/** The headers the service sends, signed by the independent implementation with each of `secrets`. */
function signedHeaders(
  secrets: string[],
  body = BODY,
  at: Date = new Date(),
  id = EVENT_ID,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((each) => new Webhook(each).sign(id, at, body)).join(' '),
  };
}

async function failure(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return error as WebhookVerificationError;
}

describe('verifyWebhook', () => {
  it('verifies what the standardwebhooks package signed and answers the event, typed by its type, with its webhook-id', async () => {
    const event = await verifyWebhook(signedHeaders([SECRET]), BODY, SECRET);

    expect(event).toEqual({ ...(JSON.parse(BODY) as object), id: EVENT_ID });
    if (event.type !== 'build.succeeded') throw new Error('narrowed by type');
    expect(event.data.versionId).toBe('01JDRZ8Q4XK8V1N9E6W3T2Y5B7');
  });

  it('reads the headers from a Fetch Headers object as well as from a record with any case or array values', async () => {
    const headers = signedHeaders([SECRET]);
    await expect(verifyWebhook(new Headers(headers), BODY, SECRET)).resolves.toMatchObject({ id: EVENT_ID });
    const shouted = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), [value]]));
    await expect(verifyWebhook(shouted, BODY, [SECRET])).resolves.toMatchObject({ id: EVENT_ID });
  });

  it('accepts, during a rotation, a request signed with the old secret, the new one, or both', async () => {
    const [older, newer] = [secret(), secret()];
    for (const signedWith of [[older], [newer], [older, newer], [newer, older]]) {
      await expect(verifyWebhook(signedHeaders(signedWith), BODY, [older, newer])).resolves.toMatchObject({
        type: 'build.succeeded',
      });
    }
    expect((await failure(verifyWebhook(signedHeaders([newer]), BODY, [older]))).reason).toBe('bad_signature');
  });

  it('refuses a wrong secret, a tampered body, id or timestamp, and a signature of another version', async () => {
    const headers = signedHeaders([SECRET]);
    const cases: (() => Promise<unknown>)[] = [
      () => verifyWebhook(headers, BODY, secret()),
      () => verifyWebhook(headers, BODY.replace('"secondsBilled":42', '"secondsBilled":0'), SECRET),
      () => verifyWebhook({ ...headers, 'webhook-id': '01JDRZ9A7B2K4N6Q8S0U2W4Y6B' }, BODY, SECRET),
      () =>
        verifyWebhook(
          { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) },
          BODY,
          SECRET,
        ),
      () =>
        verifyWebhook(
          { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') },
          BODY,
          SECRET,
        ),
      () => verifyWebhook({ ...headers, 'webhook-signature': 'v1,not*base64' }, BODY, SECRET),
    ];
    for (const refused of cases) expect((await failure(refused())).reason).toBe('bad_signature');
  });

  it('refuses a timestamp more than 5 minutes from now, either way, before looking at the signature', async () => {
    const now = Date.now();
    for (const offsetSeconds of [-301, 301]) {
      const headers = signedHeaders([SECRET], BODY, new Date(now + offsetSeconds * 1000));
      expect((await failure(verifyWebhook(headers, BODY, SECRET, { nowMs: now }))).reason).toBe('stale_timestamp');
    }
    const withinTolerance = signedHeaders([SECRET], BODY, new Date(now - 299_000));
    await expect(verifyWebhook(withinTolerance, BODY, SECRET, { nowMs: now })).resolves.toMatchObject({ id: EVENT_ID });
    const garbled = { ...signedHeaders([SECRET]), 'webhook-timestamp': '17e8' };
    expect((await failure(verifyWebhook(garbled, BODY, SECRET))).reason).toBe('stale_timestamp');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)(
    'refuses a request without %s',
    async (name) => {
      const headers: Record<string, string> = signedHeaders([SECRET]);
      delete headers[name];
      expect((await failure(verifyWebhook(headers, BODY, SECRET))).reason).toBe('missing_headers');
    },
  );

  it('refuses a signed body that is not an event', async () => {
    for (const body of ['not json', '[]', 'null', JSON.stringify({ type: 'build.failed', timestamp: 'x' })]) {
      expect((await failure(verifyWebhook(signedHeaders([SECRET], body), body, SECRET))).reason).toBe('bad_body');
    }
  });

  it('agrees with standardwebhooks on a signature made by hand from the specification', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`${EVENT_ID}.${timestamp}.${BODY}`).digest('base64');
    const headers = { 'webhook-id': EVENT_ID, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };

    expect(new Webhook(SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    await expect(verifyWebhook(headers, BODY, SECRET)).resolves.toMatchObject({ id: EVENT_ID });
  });

  it('throws a TypeError for a secret that is not whsec_<base64>, or none', async () => {
    const headers = signedHeaders([SECRET]);
    for (const secrets of ['plain-secret', 'whsec_', 'whsec_***', []]) {
      await expect(verifyWebhook(headers, BODY, secrets)).rejects.toThrow(TypeError);
    }
  });
});
