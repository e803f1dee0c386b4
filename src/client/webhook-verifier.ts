import type { WebhookEventBody } from './contract';

/**
 * The receiving side of the service's webhooks (Standard Webhooks v1, ADR 041), on Web Crypto only
 * like request-signer.ts, so it runs in a NextJS route handler (Node or Edge runtime).
 */

/** A verified event: its `webhook-id` (the same on every retry: drop one already handled) and its body. */
export type WebhookEvent = WebhookEventBody & { readonly id: string };

/** Why a request is not a webhook of the service: answer it 400 (or 401) and act on nothing. */
export type WebhookVerificationFailure = 'missing_headers' | 'stale_timestamp' | 'bad_signature' | 'bad_body';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The headers as a Fetch `Headers` (NextJS's `request.headers`) or a plain record (Node's `IncomingHttpHeaders`). */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s), so a captured request cannot be replayed later. */
  toleranceSeconds?: number;
  /** The clock (default `Date.now()`). */
  nowMs?: number;
}

const SECRET_PREFIX = 'whsec_';
const DEFAULT_TOLERANCE_SECONDS = 300;
const encoder = new TextEncoder();

/**
 * Checks a webhook the service sent and returns its event, or throws WebhookVerificationError.
 * `rawBody` is the body exactly as received (`await request.text()`, never re-serialised JSON);
 * `secrets` one or more of the service's WEBHOOK_SECRET values (`whsec_<base64>`): during a
 * rotation pass the old and the new, and a request signed with either verifies. Every
 * `v1,<base64>` in `webhook-signature` is compared in constant time (Web Crypto's verify).
 */
export async function verifyWebhook(
  headers: WebhookHeaders,
  rawBody: string,
  secrets: string | readonly string[],
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowMs = Date.now() }: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const keys = await Promise.all((typeof secrets === 'string' ? [secrets] : secrets).map(importSecret));
  if (keys.length === 0) throw new TypeError('secrets must hold at least one WEBHOOK_SECRET');

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signature === undefined) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are all required',
    );
  }
  if (!/^\d{1,15}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'stale_timestamp',
      `webhook-timestamp must be Unix seconds within ${toleranceSeconds} s of now`,
    );
  }

  const message = encoder.encode(`${id}.${timestamp}.${rawBody}`);
  const macs = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => base64Bytes(entry.slice(3)))
    .filter((mac) => mac !== undefined);
  let verified = false;
  for (const mac of macs) {
    for (const key of keys) verified = (await crypto.subtle.verify('HMAC', key, mac, message)) || verified;
  }
  if (!verified) throw new WebhookVerificationError('bad_signature', 'no v1 signature matches any of the secrets');

  return { ...parseBody(rawBody), id };
}

/** Written so, not `CryptoKey`: Node's typings and the DOM's name that type differently. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

async function importSecret(secret: string): Promise<HmacKey> {
  const bytes = secret.startsWith(SECRET_PREFIX) ? base64Bytes(secret.slice(SECRET_PREFIX.length)) : undefined;
  if (bytes === undefined || bytes.length === 0) {
    throw new TypeError('each secret must be a WEBHOOK_SECRET: whsec_ followed by base64');
  }
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' ? value : value?.join(', ');
}

/** Standard base64 (padded or not), or undefined when the text is not base64. */
function base64Bytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function parseBody(rawBody: string): WebhookEventBody {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookVerificationError('bad_body', 'the body is not JSON');
  }
  const { type, timestamp, data } = (body ?? {}) as Record<string, unknown>;
  if (typeof type !== 'string' || typeof timestamp !== 'string' || typeof data !== 'object' || data === null) {
    throw new WebhookVerificationError('bad_body', 'the body is not an event: { type, timestamp, data }');
  }
  return body as WebhookEventBody;
}
