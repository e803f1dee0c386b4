import { Logger } from '@nestjs/common';
import { LOG_LINE_OVERHEAD_BYTES, LOG_MARKER_ROOM_BYTES } from '../build-logs/build-logs.config';
import type { BuildLogStream } from '../build-logs/build-log-line.entity';
import type { BuildLogBatch } from '../build-logs/build-logs.service';
import type { BuildLogSink } from './builders/builder';
import { safeLogLine, TextRedactor } from './builders/build-failure-detail';
import { LogLineSplitter } from './log-line-splitter';

/** A stored line is cut to this many bytes (UTF-8), and says how much more there was. */
export const MAX_LOG_LINE_BYTES = 8 * 1024;

/** Lines wait at most this long before they are stored, or until this many bytes wait. */
export const LOG_FLUSH_INTERVAL_MS = 250;
export const LOG_FLUSH_BYTES = 64 * 1024;

export interface AttemptLogOptions {
  readonly buildId: string;
  readonly attempt: number;
  /** BUILD_LOG_MAX_BYTES. */
  readonly maxBytes: number;
  /** Server paths and the service's secrets. */
  readonly redactor: TextRedactor;
  /** Stores one batch in one round trip (BuildLogsService.append). */
  readonly store: (batch: BuildLogBatch) => Promise<void>;
}

/** A line as read: its first bytes, sanitised only when it is about to be stored. */
interface PendingLine {
  readonly at: Date;
  readonly stream: BuildLogStream;
  readonly text: Buffer | string;
  readonly cutBytes: number;
  readonly bytes: number;
}

/**
 * One attempt's log as the builder writes it (ADR 037): split into lines, held in memory until a
 * flush (every LOG_FLUSH_INTERVAL_MS, or at LOG_FLUSH_BYTES), each flush one INSERT, one at a time.
 * Nothing the builder calls waits for the database or throws. Memory is bounded: what waits is
 * kept to the log's bound by dropping its oldest lines (counted, for the marker), and a line is
 * held to its first MAX_LOG_LINE_BYTES (plus what redaction must see past the cut). Lines are
 * sanitised and redacted only when stored, so lines dropped unseen cost no work.
 */
export class AttemptLog implements BuildLogSink {
  private readonly logger = new Logger(AttemptLog.name);
  private readonly splitters: Record<'stdout' | 'stderr', LogLineSplitter>;
  private readonly maxPendingBytes: number;
  /** The lines waiting are `pending` from `dropped` on: dropping the oldest costs no copy. */
  private pending: PendingLine[] = [];
  private dropped = 0;
  private pendingBytes = 0;
  private droppedBefore = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closing = false;
  private failed = false;

  constructor(private readonly options: AttemptLogOptions) {
    const keep = MAX_LOG_LINE_BYTES + options.redactor.longestBytes;
    this.splitters = {
      stdout: new LogLineSplitter(keep, (head, cut) => this.add('stdout', head, cut)),
      stderr: new LogLineSplitter(keep, (head, cut) => this.add('stderr', head, cut)),
    };
    this.maxPendingBytes = options.maxBytes - LOG_MARKER_ROOM_BYTES;
  }

  /** Bytes held in memory: the lines waiting and the lines in progress. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.splitters.stdout.bufferedBytes + this.splitters.stderr.bufferedBytes;
  }

  private get waiting(): number {
    return this.pending.length - this.dropped;
  }

  output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (!this.closing) this.splitters[stream].push(chunk);
  }

  ended(stream: 'stdout' | 'stderr'): void {
    if (!this.closing) this.splitters[stream].end();
  }

  note(text: string): void {
    if (this.closing) return;
    for (const line of text.split(/\r\n|\r|\n/)) this.add('system', line, 0);
  }

  /** Ends the lines in progress and stores everything still waiting; resolves when it is stored (or failed). */
  async close(): Promise<void> {
    this.splitters.stdout.end();
    this.splitters.stderr.end();
    this.closing = true;
    clearTimeout(this.timer);
    while (this.inFlight || this.waiting > 0 || this.droppedBefore > 0) {
      this.flush();
      await this.inFlight;
    }
  }

  private add(stream: BuildLogStream, text: Buffer | string, cutBytes: number): void {
    const bytes = Math.min(Buffer.byteLength(text), MAX_LOG_LINE_BYTES) + LOG_LINE_OVERHEAD_BYTES;
    this.pending.push({ at: new Date(), stream, text, cutBytes, bytes });
    this.pendingBytes += bytes;
    while (this.pendingBytes > this.maxPendingBytes && this.pending.length - this.dropped > 1) {
      this.pendingBytes -= this.pending[this.dropped].bytes;
      this.dropped += 1;
      this.droppedBefore += 1;
    }
    // Now and then, so the dropped lines are not held while a slow flush is in flight.
    if (this.dropped > this.pending.length / 2) {
      this.pending = this.pending.slice(this.dropped);
      this.dropped = 0;
    }
    if (!this.closing) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pendingBytes >= LOG_FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_INTERVAL_MS);
  }

  /** Sends what waits, unless a flush is in flight: that one sends the rest when it is done. */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || (this.waiting === 0 && this.droppedBefore === 0)) return;
    const { buildId, attempt, maxBytes, redactor } = this.options;
    const batch: BuildLogBatch = {
      buildId,
      attempt,
      maxBytes,
      droppedBefore: this.droppedBefore,
      lines: this.pending.slice(this.dropped).map(({ at, stream, text, cutBytes }) => ({
        at,
        stream,
        line: safeLogLine(text.toString(), redactor, MAX_LOG_LINE_BYTES, cutBytes),
      })),
    };
    this.pending = [];
    this.dropped = 0;
    this.pendingBytes = 0;
    this.droppedBefore = 0;
    this.inFlight = this.options
      .store(batch)
      .catch((error: unknown) => this.storeFailed(error))
      .finally(() => {
        this.inFlight = undefined;
        if (this.waiting > 0 && !this.closing) this.scheduleFlush();
      });
  }

  /** Lost lines never fail the build; said once per attempt (a deleted build fails every flush). */
  private storeFailed(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.warn(`a build's log lines could not be stored: ${(error as Error).message}`);
  }
}
