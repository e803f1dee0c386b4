import { Injectable } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import {
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  filter,
  finalize,
  interval,
  map,
  merge,
  Observable,
  takeWhile,
  throwError,
} from 'rxjs';
import { BuildLogsService } from '../build-logs/build-logs.service';
import type { BuildStatus } from './build-metrics.entity';
import { BuildNotFoundError } from './build-not-found.error';
import { BuildReadsService } from './build-reads.service';
import { BuildStatusListener } from './build-status-events.listener';
import type { BuildResponse } from './dto/build.response';

/** Proxies and load balancers close connections that stay quiet for about a minute. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** The most lines one `log` event carries. */
export const LOG_EVENT_LINES = 500;
const KEEP_ALIVE: MessageEvent = { comment: 'keep-alive' };
const FINAL_STATUSES: ReadonlySet<BuildStatus> = new Set(['succeeded', 'failed', 'canceled']);
/** A queued build's place in line moves with no status change and no NOTIFY: its stream re-reads it this often. */
export const QUEUE_POSITION_REFRESH_MS = 5_000;

const isFinal = (event: MessageEvent): boolean =>
  event.type === 'status' && FINAL_STATUSES.has((event.data as BuildResponse).status);

/**
 * A build's status and log as Server-Sent Events for its owner: the lines stored so far and the
 * current status, then each batch of lines and each change (of its status, or of its place in line
 * while queued) as they are stored, ending after `succeeded`, `failed` or `canceled`. A status
 * event always comes after every line stored before it was read, and the worker stores an
 * attempt's last lines before its outcome, so a follower sees the whole log before the final
 * status. Every status is read through BuildReadsService, so it is exactly
 * `GET /v1/builds/:buildId`, ownership included; writes nothing.
 */
@Injectable()
export class BuildStatusEventsService {
  constructor(
    private readonly listener: BuildStatusListener,
    private readonly reads: BuildReadsService,
    private readonly logs: BuildLogsService,
  ) {}

  /**
   * Rejects (build_not_found) before any event, while the caller can still answer with a problem.
   * `ended` is the response's lifetime: it releases the subscription however the response ends,
   * also when that is before the returned stream is ever subscribed. `after`: the `seq` of the last
   * log line the caller already has (a reconnect), so only later lines are sent.
   */
  async stream(userId: string, buildId: string, ended: AbortSignal, after = 0): Promise<Observable<MessageEvent>> {
    // Listening before the first read, so a change committed in between is not missed.
    const subscription = await this.listener.subscribe(buildId);
    ended.addEventListener('abort', () => subscription.close(), { once: true });
    if (ended.aborted) subscription.close();
    let current: BuildResponse;
    try {
      current = await this.reads.getOwned(userId, buildId);
    } catch (error) {
      subscription.close();
      throw error;
    }
    let lastSeq = after;
    let sent: BuildResponse | undefined;

    /** Every line stored after the last one sent, LOG_EVENT_LINES to an event. */
    const logEvents = async (): Promise<MessageEvent[]> => {
      const events: MessageEvent[] = [];
      for (;;) {
        const lines = await this.logs.linesAfter(buildId, lastSeq, LOG_EVENT_LINES);
        if (lines.length > 0) {
          lastSeq = lines[lines.length - 1].seq;
          events.push({ type: 'log', data: { lines } });
        }
        if (lines.length < LOG_EVENT_LINES) return events;
      }
    };
    /** A new status or place in line, after the lines stored before it. */
    const statusEvents = async (build: BuildResponse): Promise<MessageEvent[]> => {
      if (sent && sent.status === build.status && !movedInLine(sent, build)) return [];
      sent = build;
      return [...(await logEvents()), { type: 'status', data: build }];
    };
    const reread = (refresh: boolean) => async (): Promise<MessageEvent[]> => {
      const read = this.reads.getOwned(userId, buildId).then(statusEvents);
      // A refresh that fails (a database blip) is only skipped: the next one, or a change, reads again.
      return refresh ? read.catch((error: unknown) => (isGone(error) ? Promise.reject(error) : [])) : read;
    };
    const refreshes = interval(QUEUE_POSITION_REFRESH_MS).pipe(filter(() => sent?.status === 'queued'));

    // One read at a time, in order, whatever asked for it: a slow read never overtakes a newer one.
    const events = concat(
      defer(() => statusEvents(current)),
      merge(
        subscription.changes.pipe(map(() => reread(false))),
        refreshes.pipe(map(() => reread(true))),
        subscription.logAppends.pipe(map(() => logEvents)),
      ).pipe(concatMap((read) => read())),
    ).pipe(
      concatMap((batch) => batch),
      takeWhile((event) => !isFinal(event), true),
      // A build deleted with its project while watched: there is no final status to send.
      catchError((error: unknown) => (isGone(error) ? EMPTY : throwError(() => error))),
      finalize(() => subscription.close()),
    );
    return withHeartbeat(events);
  }
}

const isGone = (error: unknown) => error instanceof BuildNotFoundError;

/**
 * Whether a queued build has a new place in line. A queued build without one was just claimed by a
 * worker and is about to run: its `running` event follows, so that read is no news.
 */
function movedInLine(sent: BuildResponse, read: BuildResponse): boolean {
  return read.queuePosition !== undefined && read.queuePosition !== sent.queuePosition;
}

/** `events`, with a comment between them every HEARTBEAT_INTERVAL_MS until they end. */
function withHeartbeat(events: Observable<MessageEvent>): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const heartbeat = setInterval(() => subscriber.next(KEEP_ALIVE), HEARTBEAT_INTERVAL_MS);
    const subscription = events.subscribe(subscriber);
    return () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    };
  });
}
