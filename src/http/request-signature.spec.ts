import crypto from 'node:crypto';
import {
  computeSignature,
  MAX_CLOCK_SKEW_SECONDS,
  SignatureFailure,
  SignatureHeaders,
  signatureHeaders,
  SignedRequest,
  verifySignature,
} from './request-signature';

const SECRET = 'contract-example-secret-01';
const OTHER_SECRET = 'another-secret-for-rotation-02';
const NOW = 1_700_000_000;
const BODY = '{"userId":"6f1c2b9e-0d3a-4c5b-8e7f-9a0b1c2d3e4f","prompt":"café 😀"}';
const REQUEST: SignedRequest = {
  method: 'POST',
  pathWithQuery: '/v1/create-preview-for-new-project?a=1',
  body: Buffer.from(BODY, 'utf8'),
};

/** Headers signed for `request` with `secret` at `at`, as a caller sends them. */
function headersFor(secret: string, request: SignedRequest, at = NOW): SignatureHeaders {
  const headers = signatureHeaders(secret, request, at);
  return { timestamp: headers['X-Sheen-Timestamp'], signature: headers['X-Sheen-Signature'] };
}

const verify = (headers: SignatureHeaders, request = REQUEST, secrets = [SECRET], now = NOW) =>
  verifySignature(secrets, headers, request, now);

describe('computeSignature', () => {
  it('is v1= and the lowercase hex HMAC-SHA256 of `${timestamp}.${METHOD}.${pathWithQuery}.${rawBody}`', () => {
    // Computed independently: printf '%s' '1700000000.POST./v1/...?a=1.{...}' | openssl dgst -sha256 -hmac "$SECRET"
    expect(computeSignature(SECRET, '1700000000', REQUEST)).toBe(
      'v1=f5027d4c813f71eb29e0c362584eaf4c1c9d02e3dad9d55da59cbaab50ea3458',
    );
  });

  it('signs an empty body for a GET, whether the body is absent or empty', () => {
    const expected = 'v1=b72be447e2a048fd2574a3a183eded33664e6473645a4975e8d8b3def493c70b';
    const get = { method: 'GET', pathWithQuery: '/v1/projects?userId=6f1c2b9e-0d3a-4c5b-8e7f-9a0b1c2d3e4f' };

    expect(computeSignature(SECRET, '1700000000', get)).toBe(expected);
    expect(computeSignature(SECRET, '1700000000', { ...get, body: '' })).toBe(expected);
    expect(computeSignature(SECRET, '1700000000', { ...get, body: Buffer.alloc(0) })).toBe(expected);
  });

  it('takes a string body as its UTF-8 bytes', () => {
    expect(computeSignature(SECRET, '1700000000', { ...REQUEST, body: BODY })).toBe(
      computeSignature(SECRET, '1700000000', REQUEST),
    );
  });

  it('upper-cases the method', () => {
    expect(computeSignature(SECRET, '1', { ...REQUEST, method: 'post' })).toBe(computeSignature(SECRET, '1', REQUEST));
  });
});

describe('signatureHeaders', () => {
  it('sends whole Unix seconds and the signature over that exact text', () => {
    const headers = signatureHeaders(SECRET, REQUEST, NOW + 0.9);

    expect(headers).toEqual({
      'X-Sheen-Timestamp': String(NOW),
      'X-Sheen-Signature': computeSignature(SECRET, String(NOW), REQUEST),
    });
  });
});

describe('v2= signatures, which cover the Idempotency-Key', () => {
  const KEYED: SignedRequest = { ...REQUEST, idempotencyKey: 'create-7d8f4f0e-0001' };
  const v2 = (request: SignedRequest, at = NOW): SignatureHeaders => {
    const headers = signatureHeaders(SECRET, request, at, 'v2');
    return { timestamp: headers['X-Sheen-Timestamp'], signature: headers['X-Sheen-Signature'] };
  };

  it('is v2= and the HMAC of the key on a line of its own, then the v1 text', () => {
    const expected = crypto
      .createHmac('sha256', SECRET)
      .update(`create-7d8f4f0e-0001\n${NOW}.POST./v1/create-preview-for-new-project?a=1.${BODY}`)
      .digest('hex');

    expect(computeSignature(SECRET, String(NOW), KEYED, 'v2')).toBe(`v2=${expected}`);
  });

  it('verifies with the key it was made with, and with no key for a request sent without one', () => {
    expect(verify(v2(KEYED), KEYED)).toMatchObject({ valid: true });
    expect(verify(v2(REQUEST), REQUEST)).toMatchObject({ valid: true });
  });

  it.each([
    ['another key', { ...KEYED, idempotencyKey: 'create-7d8f4f0e-0002' }],
    ['no key', REQUEST],
  ])('refuses the request sent with %s than it was signed with', (_what, sent) => {
    expect(verify(v2(KEYED), sent)).toEqual({ valid: false, failure: 'mismatch' });
  });

  it('refuses a v1 MAC sent as v2, and a v2 MAC sent as v1', () => {
    const v1Hex = computeSignature(SECRET, String(NOW), KEYED).slice(3);
    const v2Hex = computeSignature(SECRET, String(NOW), KEYED, 'v2').slice(3);

    expect(verify({ timestamp: String(NOW), signature: `v2=${v1Hex}` }, KEYED)).toMatchObject({ failure: 'mismatch' });
    expect(verify({ timestamp: String(NOW), signature: `v1=${v2Hex}` }, KEYED)).toMatchObject({ failure: 'mismatch' });
  });
});

describe('verifySignature', () => {
  const failure = (result: ReturnType<typeof verify>): SignatureFailure | undefined =>
    result.valid ? undefined : result.failure;

  it('accepts a signature made with the secret, with its timestamp and the MAC it carried', () => {
    const headers = headersFor(SECRET, REQUEST);

    expect(verify(headers)).toEqual({
      valid: true,
      timestamp: Number(headers.timestamp),
      mac: Buffer.from(String(headers.signature).slice('v1='.length), 'hex'),
    });
  });

  describe('rotation', () => {
    it.each([
      ['the first', SECRET],
      ['the second', OTHER_SECRET],
    ])('accepts a signature made with %s of two secrets', (_which, secret) => {
      expect(verify(headersFor(secret, REQUEST), REQUEST, [SECRET, OTHER_SECRET])).toMatchObject({ valid: true });
    });

    it('refuses a signature made with a secret that is not listed', () => {
      expect(failure(verify(headersFor('not-the-secret-at-all', REQUEST), REQUEST, [SECRET, OTHER_SECRET]))).toBe(
        'mismatch',
      );
    });

    it('refuses everything when no secret is listed', () => {
      expect(failure(verify(headersFor(SECRET, REQUEST), REQUEST, []))).toBe('mismatch');
    });
  });

  describe('tampering', () => {
    const signedHeaders = headersFor(SECRET, REQUEST);

    it.each<[string, SignedRequest]>([
      ['a changed body', { ...REQUEST, body: BODY.replace('café', 'cafe') }],
      ['one more byte of body', { ...REQUEST, body: `${BODY} ` }],
      ['an empty body', { ...REQUEST, body: undefined }],
      ['another method', { ...REQUEST, method: 'PUT' }],
      ['another path', { ...REQUEST, pathWithQuery: '/v1/update-project?a=1' }],
      ['another query', { ...REQUEST, pathWithQuery: '/v1/create-preview-for-new-project?a=2' }],
      ['no query', { ...REQUEST, pathWithQuery: '/v1/create-preview-for-new-project' }],
    ])('refuses the signature for %s', (_what, received) => {
      expect(failure(verify(signedHeaders, received))).toBe('mismatch');
    });

    it('refuses a timestamp changed after signing', () => {
      expect(failure(verify({ ...signedHeaders, timestamp: String(NOW - 1) }))).toBe('mismatch');
    });

    it('refuses a signature that differs in its last hex digit', () => {
      const signature = signedHeaders.signature as string;
      const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
      expect(failure(verify({ ...signedHeaders, signature: flipped }))).toBe('mismatch');
    });
  });

  describe('the clock', () => {
    it.each([
      ['300 s in the past', -MAX_CLOCK_SKEW_SECONDS],
      ['300 s in the future', MAX_CLOCK_SKEW_SECONDS],
      ['now', 0],
    ])('accepts a timestamp %s', (_when, offset) => {
      expect(verify(headersFor(SECRET, REQUEST, NOW + offset))).toMatchObject({ valid: true });
    });

    it.each([
      ['301 s in the past', -MAX_CLOCK_SKEW_SECONDS - 1],
      ['301 s in the future', MAX_CLOCK_SKEW_SECONDS + 1],
      ['a day old', -86_400],
    ])('refuses a timestamp %s as stale, however well signed', (_when, offset) => {
      expect(failure(verify(headersFor(SECRET, REQUEST, NOW + offset)))).toBe('stale_timestamp');
    });

    it('compares whole seconds with the server clock', () => {
      expect(verify(headersFor(SECRET, REQUEST, NOW - 300), REQUEST, [SECRET], NOW + 0.99)).toMatchObject({
        valid: true,
      });
    });
  });

  describe('malformed headers', () => {
    const good = headersFor(SECRET, REQUEST);
    const hex = (good.signature as string).slice(3);

    it.each<[string, Partial<SignatureHeaders>, SignatureFailure]>([
      ['no timestamp', { timestamp: undefined }, 'missing_headers'],
      ['no signature', { signature: undefined }, 'missing_headers'],
      ['a non-numeric timestamp', { timestamp: 'yesterday' }, 'malformed_timestamp'],
      ['an empty timestamp', { timestamp: '' }, 'malformed_timestamp'],
      ['a fractional timestamp', { timestamp: `${NOW}.5` }, 'malformed_timestamp'],
      ['a negative timestamp', { timestamp: `-${NOW}` }, 'malformed_timestamp'],
      ['a timestamp in ISO form', { timestamp: '2023-11-14T22:13:20Z' }, 'malformed_timestamp'],
      ['a repeated timestamp header', { timestamp: [String(NOW), String(NOW)] }, 'malformed_timestamp'],
      ['a v3= signature', { signature: `v3=${hex}` }, 'malformed_signature'],
      ['a signature without v1=', { signature: hex }, 'malformed_signature'],
      ['a signature with upper-case hex', { signature: `v1=${hex.toUpperCase()}` }, 'malformed_signature'],
      ['a signature that is not hex', { signature: `v1=${'z'.repeat(64)}` }, 'malformed_signature'],
      ['a short signature', { signature: `v1=${hex.slice(0, 62)}` }, 'malformed_signature'],
      ['a long signature', { signature: `v1=${hex}00` }, 'malformed_signature'],
      ['an empty signature', { signature: '' }, 'malformed_signature'],
      ['two signatures in one header', { signature: `v1=${hex}, v1=${hex}` }, 'malformed_signature'],
      ['a repeated signature header', { signature: [`v1=${hex}`, `v1=${hex}`] }, 'malformed_signature'],
    ])('refuses %s', (_what, change, expected) => {
      expect(failure(verify({ ...good, ...change }))).toBe(expected);
    });
  });

  describe('comparison', () => {
    afterEach(() => jest.restoreAllMocks());

    it('compares in constant time with every secret, even after the first one matched', () => {
      const compare = jest.spyOn(crypto, 'timingSafeEqual');

      const result = verify(headersFor(SECRET, REQUEST), REQUEST, [SECRET, OTHER_SECRET, 'third-secret-in-the-list']);

      expect(result).toMatchObject({ valid: true });
      expect(compare).toHaveBeenCalledTimes(3);
      for (const [expected, received] of compare.mock.calls) {
        expect((expected as Buffer).length).toBe(32);
        expect((received as Buffer).length).toBe(32);
      }
    });
  });
});
