import { PassThrough } from 'node:stream';
import { answerClientError } from './framework-errors';

/** A socket as Node's HTTP server hands it over, with what was written to it. */
function socket(inFlight?: { _headerSent: boolean }) {
  const stream = Object.assign(new PassThrough(), { _httpMessage: inFlight ?? null });
  const written: string[] = [];
  stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
  return { stream, written: () => written.join('') };
}

const overflow = Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' });

describe('answerClientError', () => {
  it('answers a socket with no response in flight with problem+json, then closes it', async () => {
    const { stream, written } = socket();

    answerClientError(overflow, stream);
    await new Promise(setImmediate);

    expect(written()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(written()).toContain('Content-Type: application/problem+json');
    expect(written()).toContain('"code":"header_fields_too_large"');
    expect(stream.destroyed).toBe(true);
  });

  it('answers when the response in flight has not sent its head yet', async () => {
    const { stream, written } = socket({ _headerSent: false });

    answerClientError(overflow, stream);
    await new Promise(setImmediate);

    expect(written()).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('writes nothing into a response whose head is already on the wire, and only closes the socket', async () => {
    const { stream, written } = socket({ _headerSent: true });

    answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), stream);
    await new Promise(setImmediate);

    expect(written()).toBe('');
    expect(stream.destroyed).toBe(true);
  });
});
