import { computeSignature, verifySignature } from '../http/request-signature';
import { RequestSigner, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './request-signer';

const SECRET = 'client-spec-secret-6b1d0e2f9a7c';
const NOW_MS = 1_764_000_000_123;

describe('RequestSigner (Web Crypto)', () => {
  const signer = new RequestSigner(SECRET);

  it.each([
    ['GET', '/v1/projects?userId=7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69&limit=5', ''],
    [
      'POST',
      '/v1/create-preview-for-new-project',
      '{"userId":"7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69","prompt":"Ünïcödé ✓ 🚀"}',
    ],
    ['DELETE', '/v1/projects/3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a?userId=7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69', ''],
  ])('signs %s %s (v2) exactly as the server computes it, and the server verifies it', async (method, path, body) => {
    const headers = await signer.headers({ method, pathWithQuery: path, body }, NOW_MS);

    expect(headers[TIMESTAMP_HEADER]).toBe('1764000000');
    expect(headers[SIGNATURE_HEADER]).toBe(
      computeSignature(SECRET, '1764000000', { method, pathWithQuery: path, body }, 'v2'),
    );
    const request = { method, pathWithQuery: path, body: Buffer.from(body, 'utf8') };
    const received = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifySignature([SECRET], received, request, NOW_MS / 1000)).toMatchObject({ valid: true });
  });

  it('covers the Idempotency-Key: the server refuses the signature for the same request under another key', async () => {
    const signedRequest = { method: 'POST', pathWithQuery: '/v1/update-project', body: '{"a":1}' };
    const headers = await signer.headers({ ...signedRequest, idempotencyKey: 'update-1' }, NOW_MS);
    const received = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    const now = NOW_MS / 1000;

    expect(headers[SIGNATURE_HEADER]).toBe(
      computeSignature(SECRET, '1764000000', { ...signedRequest, idempotencyKey: 'update-1' }, 'v2'),
    );
    expect(verifySignature([SECRET], received, { ...signedRequest, idempotencyKey: 'update-1' }, now)).toMatchObject({
      valid: true,
    });
    expect(verifySignature([SECRET], received, { ...signedRequest, idempotencyKey: 'update-2' }, now)).toEqual({
      valid: false,
      failure: 'mismatch',
    });
  });

  it('upper-cases the method, as the server does', async () => {
    expect(await signer.headers({ method: 'post', pathWithQuery: '/v1/x', body: '{}' }, NOW_MS)).toEqual(
      await signer.headers({ method: 'POST', pathWithQuery: '/v1/x', body: '{}' }, NOW_MS),
    );
  });

  it('gives a signature the server refuses for another path, body or secret', async () => {
    const headers = await signer.headers(
      { method: 'POST', pathWithQuery: '/v1/update-project', body: '{"a":1}' },
      NOW_MS,
    );
    const received = { timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    const now = NOW_MS / 1000;
    const mismatch = { valid: false, failure: 'mismatch' };
    expect(
      verifySignature([SECRET], received, { method: 'POST', pathWithQuery: '/v1/x', body: '{"a":1}' }, now),
    ).toEqual(mismatch);
    expect(
      verifySignature(
        [SECRET],
        received,
        { method: 'POST', pathWithQuery: '/v1/update-project', body: '{"a":2}' },
        now,
      ),
    ).toEqual(mismatch);
    expect(
      verifySignature(
        ['another-secret'],
        received,
        { method: 'POST', pathWithQuery: '/v1/update-project', body: '{"a":1}' },
        now,
      ),
    ).toEqual(mismatch);
  });

  it('refuses an empty secret', () => {
    expect(() => new RequestSigner('')).toThrow('secret must not be empty');
  });
});
