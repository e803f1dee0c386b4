/** One dispatched Server-Sent Event. */
export interface ServerSentEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  id?: string;
}

/**
 * Parses a `text/event-stream` body as the HTML standard's EventSource does: lines end with CRLF,
 * LF or CR; comments (`: keep-alive`) are skipped; a blank line dispatches the event, unless it has
 * no data; an unfinished event at the end of the stream is dropped. Stopping the iteration early
 * cancels the body, which closes the connection.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let event: { type?: string; id?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const end = buffered.search(/[\r\n]/);
        if (end === -1) break;
        // A CR at the very end may be the first half of a CRLF still on its way.
        if (buffered[end] === '\r' && end === buffered.length - 1 && !done) break;
        const line = buffered.slice(0, end);
        buffered = buffered.slice(buffered.startsWith('\r\n', end) ? end + 2 : end + 1);
        if (line === '') {
          if (event.data.length > 0) {
            yield {
              event: event.type || 'message',
              data: event.data.join('\n'),
              ...(event.id !== undefined && { id: event.id }),
            };
          }
          event = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') event.data.push(value);
        else if (field === 'event') event.type = value;
        else if (field === 'id') event.id = value;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
