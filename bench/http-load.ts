import autocannon from 'autocannon';
import { Agent } from 'node:http';
import { postCreate } from './http-client';
import { LatencyRecorder, Measured } from './measurements';
import { CREATE_PATH, newUserCreate, signedCreate } from './signed-create';

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  seconds: number;
}

/**
 * Drives creates with autocannon: `connections` keep-alive connections, each sending its next
 * request as soon as the last is answered (closed loop). Every request is from a new user and is
 * signed just before it is sent. Only a 201 counts as a create. Latencies are recorded exactly from
 * autocannon's per-response event (its own histogram keeps whole milliseconds and 2xx only).
 */
export async function loadCreates(
  { baseUrl, connections, seconds }: LoadOptions,
  recorder = new LatencyRecorder(),
): Promise<Measured> {
  const run = autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: CREATE_PATH,
        setupRequest: (request) => ({ ...request, ...signedCreate(newUserCreate()) }),
      },
    ],
  });
  run.on('response', (_client, status, _bytes, milliseconds) => {
    if (status === 201) recorder.record(milliseconds);
    else recorder.fail(`HTTP ${status}`);
  });
  const result = await recorder.during(() => Promise.resolve(run));
  recorder.fail('timeout', result.timeouts);
  recorder.fail('connection error', result.errors - result.timeouts);
  return recorder.summary();
}

/**
 * Open loop: one create every 1000/`rate` ms, whatever the answers, over at most `connections`
 * keep-alive connections. autocannon's own rate limit sends each second's quota at once, a burst
 * that measures queueing, not a create.
 */
export async function paceCreates({
  baseUrl,
  connections,
  seconds,
  rate,
}: LoadOptions & { rate: number }): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const recorder = new LatencyRecorder();
  const answers: Promise<void>[] = [];
  const startedAt = performance.now();
  await recorder.during(async () => {
    for (let sent = 0; sent < seconds * rate; sent++) {
      const wait = startedAt + (sent * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      answers.push(
        postCreate(agent, baseUrl, signedCreate(newUserCreate())).then(({ status, milliseconds }) => {
          if (status === 201) recorder.record(milliseconds);
          else recorder.fail(status === 0 ? 'connection error' : `HTTP ${status}`);
        }),
      );
    }
    await Promise.all(answers);
  });
  agent.destroy();
  return recorder.summary();
}
