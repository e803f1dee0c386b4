import { Injectable } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import {
  catchError,
  concat,
  concatMap,
  distinctUntilChanged,
  EMPTY,
  filter,
  finalize,
  from,
  interval,
  map,
  merge,
  Observable,
  of,
  takeWhile,
  tap,
  throwError,
} from 'rxjs';
import type { BuildStatus } from './build-metrics.entity';
import { BuildNotFoundError } from './build-not-found.error';
import { BuildReadsService } from './build-reads.service';
import { BuildStatusListener } from './build-status-events.listener';
import type { BuildResponse } from './dto/build.response';

/** Proxies and load balancers close connections that stay quiet for about a minute. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
const KEEP_ALIVE: MessageEvent = { comment: 'keep-alive' };
const FINAL_STATUSES: ReadonlySet<BuildStatus> = new Set(['succeeded', 'failed', 'canceled']);
/** A queued build's place in line moves with no status change and no NOTIFY: its stream re-reads it this often. */
export const QUEUE_POSITION_REFRESH_MS = 5_000;

/**
 * A build's status as Server-Sent Events for its owner: the current one, then one event per
 * change (of its status, or of its place in line while queued), ending after `succeeded`, `failed`
 * or `canceled`. Every event is read through BuildReadsService, so it is exactly `GET
 * /v1/builds/:buildId`, ownership included; writes nothing.
 */
@Injectable()
export class BuildStatusEventsService {
  constructor(
    private readonly listener: BuildStatusListener,
    private readonly reads: BuildReadsService,
  ) {}

  /**
   * Rejects (build_not_found) before any event, while the caller can still answer with a problem.
   * `ended` is the response's lifetime: it releases the subscription however the response ends,
   * also when that is before the returned stream is ever subscribed.
   */
  async stream(userId: string, buildId: string, ended: AbortSignal): Promise<Observable<MessageEvent>> {
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
    const reread = (refresh: boolean) => {
      const read = from(this.reads.getOwned(userId, buildId));
      // A refresh that fails (a database blip) is only skipped: the next one, or a change, reads again.
      return refresh
        ? read.pipe(catchError((error: unknown) => (isGone(error) ? throwError(() => error) : EMPTY)))
        : read;
    };
    const refreshes = interval(QUEUE_POSITION_REFRESH_MS).pipe(filter(() => current.status === 'queued'));
    const changes = merge(subscription.changes.pipe(map(() => false)), refreshes.pipe(map(() => true)));
    // One read at a time, in order, whatever asked for it: a slow read never overtakes a newer one.
    const statuses = concat(of(current), changes.pipe(concatMap(reread))).pipe(
      distinctUntilChanged((sent, read) => sent.status === read.status && !movedInLine(sent, read)),
      tap((build) => (current = build)),
      takeWhile((build) => !FINAL_STATUSES.has(build.status), true),
      // A build deleted with its project while watched: there is no final status to send.
      catchError((error: unknown) => (isGone(error) ? EMPTY : throwError(() => error))),
      map((build): MessageEvent => ({ type: 'status', data: build })),
      finalize(() => subscription.close()),
    );
    return withHeartbeat(statuses);
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
