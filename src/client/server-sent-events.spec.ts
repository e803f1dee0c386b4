import { serverSentEvents, ServerSentEvent } from './server-sent-events';

/** A body that delivers `text` in the given pieces; `cancelled` tells whether the reader cancelled it. */
function body(...pieces: string[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  const encoder = new TextEncoder();
  let cancelled = false;
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < pieces.length) controller.enqueue(encoder.encode(pieces[next++]));
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(stream)) events.push(event);
  return events;
}

const STREAM =
  ': keep-alive\n\nevent: status\nid: 1\ndata: {"status":"queued"}\n\n' +
  'event: status\r\nid: 2\r\ndata: {"status":\r\ndata: "running"}\r\n\r\n' +
  'data\n\nid: 3\n\n' +
  'event: status\rdata: {"status":"succeeded"}\r\r' +
  'event: status\ndata: unfinished';

const EXPECTED: ServerSentEvent[] = [
  { event: 'status', id: '1', data: '{"status":"queued"}' },
  { event: 'status', id: '2', data: '{"status":\n"running"}' },
  { event: 'message', data: '' },
  { event: 'status', data: '{"status":"succeeded"}' },
];

describe('serverSentEvents', () => {
  it('parses events as EventSource does: any line ending, comments skipped, data joined, the unfinished one dropped', async () => {
    expect(await collect(body(STREAM).stream)).toEqual(EXPECTED);
  });

  it('gives the same events however the bytes are split, CRLF and multi-byte characters included', async () => {
    const text = `${STREAM.slice(0, -'event: status\ndata: unfinished'.length)}data: é🚀\r\n\r\n`;
    const bytes = new TextEncoder().encode(text);
    const expected = [...EXPECTED, { event: 'message', data: 'é🚀' }];
    for (const size of [1, 2, 3, 7]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          chunks.forEach((chunk) => controller.enqueue(chunk));
          controller.close();
        },
      });
      expect(await collect(stream)).toEqual(expected);
    }
  });

  it('cancels the body when the caller stops reading early', async () => {
    const { stream, cancelled } = body('data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n');
    for await (const event of serverSentEvents(stream)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled()).toBe(true);
  });
});
