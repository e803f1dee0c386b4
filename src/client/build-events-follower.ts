import type { BuildLogLineResponse, BuildResponse, BuildStatus } from './contract';
import { retryDelayMs, RetryOptions, sleep } from './retry-policy';
import { serverSentEvents } from './server-sent-events';

/** What `followBuild(…, { logs: true })` yields: each status, and each batch of log lines, in order. */
export type BuildFollowEvent =
  | { readonly type: 'status'; readonly build: BuildResponse }
  | { readonly type: 'log'; readonly lines: BuildLogLineResponse[] };

const TERMINAL_STATUSES: ReadonlySet<BuildStatus> = new Set(['succeeded', 'failed', 'canceled']);

/**
 * A build's events until its final status, as WorkerClient.followBuild describes them. `open`
 * opens the stream after the last log line received (`after`, undefined at first), signed and
 * retried as any read; a stream that ends or breaks early is opened again, and a status or line
 * already yielded is not yielded twice. After `retry.attempts` openings in a row that brought
 * nothing new, the last failure is thrown.
 */
export async function* followBuildEvents(
  buildId: string,
  open: (after: number | undefined) => Promise<Response>,
  retry: Required<RetryOptions>,
  signal: AbortSignal | undefined,
): AsyncGenerator<BuildFollowEvent, void, undefined> {
  let lastStatus: BuildStatus | undefined;
  let lastPosition: number | undefined;
  let lastSeq: number | undefined;
  let fruitless = 0;
  for (;;) {
    const response = await open(lastSeq);
    let failure: unknown = new Error(`the event stream of build ${buildId} ended before the build did`);
    try {
      for await (const event of serverSentEvents(response.body!)) {
        if (event.event === 'log') {
          const { lines } = JSON.parse(event.data) as { lines: BuildLogLineResponse[] };
          const fresh = lines.filter((line) => lastSeq === undefined || line.seq > lastSeq);
          if (fresh.length === 0) continue;
          lastSeq = fresh[fresh.length - 1].seq;
          fruitless = 0;
          yield { type: 'log', lines: fresh };
          continue;
        }
        if (event.event !== 'status') continue;
        const build = JSON.parse(event.data) as BuildResponse;
        // A queued build without a place was just claimed: its `running` follows.
        const moved = build.queuePosition !== undefined && build.queuePosition !== lastPosition;
        if (build.status === lastStatus && !moved) continue;
        lastStatus = build.status;
        lastPosition = build.queuePosition;
        fruitless = 0;
        yield { type: 'status', build };
        if (TERMINAL_STATUSES.has(build.status)) return;
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      failure = error;
    }
    fruitless += 1;
    if (fruitless >= retry.attempts) throw failure;
    await sleep(retryDelayMs(retry, fruitless), signal);
  }
}
