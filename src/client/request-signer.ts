/**
 * Request signing (`v2=`, which covers the Idempotency-Key as well as what docs/contract.md's `v1=`
 * covers), on Web Crypto only, so the client runs wherever `fetch` does: Node, NextJS route
 * handlers (Node or Edge runtime), workers.
 */

export const TIMESTAMP_HEADER = 'X-Sheen-Timestamp';
export const SIGNATURE_HEADER = 'X-Sheen-Signature';

const encoder = new TextEncoder();

/** What a signature covers. */
export interface SignedRequest {
  method: string;
  /** The path and query exactly as the request line carries them. */
  pathWithQuery: string;
  /** The exact body text sent; empty for a request without one. */
  body: string;
  idempotencyKey?: string;
}

/** Written so, not `CryptoKey`: Node's typings and the DOM's name that type differently. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Signs requests with one shared secret (a secret from the service's WORKER_SHARED_SECRET). */
export class RequestSigner {
  private key?: Promise<HmacKey>;

  constructor(private readonly secret: string) {
    if (secret === '') throw new TypeError('secret must not be empty');
  }

  /**
   * The two headers for a request: `X-Sheen-Timestamp` (Unix seconds at `nowMs`) and
   * `X-Sheen-Signature: v2=<hex>`, the HMAC-SHA256 of
   * `${idempotencyKey}\n${timestamp}.${METHOD}.${pathWithQuery}.${body}`. `body` is the exact text
   * sent (sent as UTF-8), empty for a request without one; so is the key of a request without one.
   */
  async headers(
    { method, pathWithQuery, body, idempotencyKey = '' }: SignedRequest,
    nowMs: number = Date.now(),
  ): Promise<Record<string, string>> {
    const timestamp = String(Math.floor(nowMs / 1000));
    // Imported on first use, not in the constructor: a rejection there would go unhandled.
    this.key ??= crypto.subtle.importKey('raw', encoder.encode(this.secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const message = encoder.encode(`${idempotencyKey}\n${timestamp}.${method.toUpperCase()}.${pathWithQuery}.${body}`);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await this.key, message));
    return {
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: `v2=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`,
    };
  }
}
