import { canonicalJson, requestFingerprint } from './request-fingerprint';

describe('requestFingerprint', () => {
  const path = '/v1/create-preview-for-new-project';

  it('is the same whatever the key order, at every depth', () => {
    expect(requestFingerprint('POST', path, { a: 1, b: { c: 2, d: [1, { f: 1, e: 2 }] } })).toBe(
      requestFingerprint('POST', path, { b: { d: [1, { e: 2, f: 1 }], c: 2 }, a: 1 }),
    );
  });

  it('differs for another value, another field, another method or another path', () => {
    const first = requestFingerprint('POST', path, { prompt: 'a' });
    expect(requestFingerprint('POST', path, { prompt: 'b' })).not.toBe(first);
    expect(requestFingerprint('POST', path, { prompt: 'a', name: 'x' })).not.toBe(first);
    expect(requestFingerprint('PUT', path, { prompt: 'a' })).not.toBe(first);
    expect(requestFingerprint('POST', '/v1/update-project', { prompt: 'a' })).not.toBe(first);
  });

  it('keeps array order significant and treats absent and undefined fields alike', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('cannot be confused by keys that look like JSON', () => {
    expect(canonicalJson({ 'a":1,"b': 2 })).not.toBe(canonicalJson({ a: 1, b: 2 }));
  });

  it('is a SHA-256 hex digest', () => {
    expect(requestFingerprint('POST', path, {})).toMatch(/^[0-9a-f]{64}$/);
  });
});
