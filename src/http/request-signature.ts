import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing as docs/contract.md ("Authentication") defines it: HMAC-SHA256, keyed with the shared
 * secret, of `${timestamp}.${METHOD}.${pathWithQuery}.${rawBody}`, sent as `v1=<lowercase hex>`;
 * and `v2=`, the same over `${idempotencyKey}\n` and that text, so the key cannot be changed on a
 * signed request (ADR 030; the key is empty when none is sent, and no key holds a line break).
 * Pure functions: the guard, the test harness and the Swagger UI check all use this one definition.
 */

export const TIMESTAMP_HEADER = 'X-Sheen-Timestamp';
export const SIGNATURE_HEADER = 'X-Sheen-Signature';
/** A timestamp further than this from the server clock, either way, is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** Routes under this prefix need a signature; /health, /docs, /metrics and /preview do not. */
const SIGNED_ROUTES = '/v1';

/** Whether the route (as the router matched it, not the URL text) needs a signature. */
export function isSignedRoute(route: string | undefined): boolean {
  return route !== undefined && (route === SIGNED_ROUTES || route.startsWith(`${SIGNED_ROUTES}/`));
}

/** What a signature covers. `body` is the exact bytes sent (a string is taken as UTF-8); empty for GET. */
export interface SignedRequest {
  method: string;
  pathWithQuery: string;
  body?: Buffer | string;
  /** The Idempotency-Key header as sent; covered by `v2=` signatures only. */
  idempotencyKey?: string;
}

/** `v1`: the contract's first signature (docs/contract.md); `v2`: it also covers the Idempotency-Key. */
export type SignatureVersion = 'v1' | 'v2';

/** The header values as the server received them (Node joins a repeated header into one string). */
export interface SignatureHeaders {
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
}

export type SignatureFailure =
  'missing_headers' | 'malformed_timestamp' | 'malformed_signature' | 'stale_timestamp' | 'mismatch';

/** A verified signature: its timestamp (Unix seconds) and the MAC it carried, which a write spends. */
export type SignatureVerification =
  { valid: true; timestamp: number; mac: Buffer } | { valid: false; failure: SignatureFailure };

const TIMESTAMP_PATTERN = /^\d{1,12}$/;
const SIGNATURE_PATTERN = /^(v1|v2)=([0-9a-f]{64})$/;

/** `v1=` (or `v2=`) and the lowercase hex HMAC-SHA256 of the request, keyed with `secret`. */
export function computeSignature(
  secret: string,
  timestamp: string,
  request: SignedRequest,
  version: SignatureVersion = 'v1',
): string {
  return `${version}=${mac(secret, timestamp, request, version).toString('hex')}`;
}

/** The two headers a caller sends, signed at `nowSeconds` (Unix time). */
export function signatureHeaders(
  secret: string,
  request: SignedRequest,
  nowSeconds: number,
  version: SignatureVersion = 'v1',
): Record<string, string> {
  const timestamp = String(Math.floor(nowSeconds));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: computeSignature(secret, timestamp, request, version) };
}

/**
 * Checks the headers against the request with each secret (several during a rotation: any one
 * verifies). Every secret is tried, and compared in constant time, whichever matches.
 */
export function verifySignature(
  secrets: readonly string[],
  headers: SignatureHeaders,
  request: SignedRequest,
  nowSeconds: number,
): SignatureVerification {
  const checked = checkSignatureHeaders(headers, nowSeconds);
  if (!checked.valid) return checked;
  const { timestamp, version, hex } = checked;

  const received = Buffer.from(hex, 'hex');
  let matched = false;
  for (const secret of secrets) {
    // Both are 32 bytes (the pattern above fixes the length), as timingSafeEqual requires.
    matched = timingSafeEqual(mac(secret, timestamp, request, version), received) || matched;
  }
  return matched ? { valid: true, timestamp: Number(timestamp), mac: received } : failed('mismatch');
}

/**
 * What can be checked without the body: both headers present, well-formed and fresh. Run before
 * the body is read too, so an unsigned caller gets 401 whatever it sends.
 */
export function checkSignatureHeaders(
  { timestamp, signature }: SignatureHeaders,
  nowSeconds: number,
):
  | { valid: true; timestamp: string; version: SignatureVersion; hex: string }
  | { valid: false; failure: SignatureFailure } {
  if (timestamp === undefined || signature === undefined) return failed('missing_headers');
  if (typeof timestamp !== 'string' || !TIMESTAMP_PATTERN.test(timestamp)) return failed('malformed_timestamp');
  const parsed = typeof signature === 'string' ? SIGNATURE_PATTERN.exec(signature) : null;
  if (parsed === null) return failed('malformed_signature');
  if (Math.abs(Math.floor(nowSeconds) - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return failed('stale_timestamp');
  return { valid: true, timestamp, version: parsed[1] as SignatureVersion, hex: parsed[2] };
}

function mac(
  secret: string,
  timestamp: string,
  { method, pathWithQuery, body, idempotencyKey }: SignedRequest,
  version: SignatureVersion,
): Buffer {
  const keyLine = version === 'v2' ? `${idempotencyKey ?? ''}\n` : '';
  return createHmac('sha256', secret)
    .update(`${keyLine}${timestamp}.${method.toUpperCase()}.${pathWithQuery}.`, 'utf8')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? Buffer.alloc(0)))
    .digest();
}

function failed(failure: SignatureFailure): { valid: false; failure: SignatureFailure } {
  return { valid: false, failure };
}
