import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { BuildLogLine } from './build-log-line.entity';
import type { BuildLogStream } from './build-log-line.entity';
import { BuildLog } from './build-log.entity';
import { BuildLogLineResponse } from './dto/build-log-line.response';

/** One flush of an attempt's lines, oldest first. */
export interface BuildLogBatch {
  readonly buildId: string;
  readonly attempt: number;
  /** Lines the worker dropped, oldest first, before this batch (it prints faster than it is stored). */
  readonly droppedBefore: number;
  readonly lines: readonly { at: Date; stream: BuildLogStream; line: string }[];
  /** BUILD_LOG_MAX_BYTES. */
  readonly maxBytes: number;
}

/** A page of a build's log after a line number. */
export interface BuildLogPage {
  readonly items: BuildLogLineResponse[];
  /** Whether lines after the page's last are stored already. */
  readonly hasMore: boolean;
  readonly droppedLines: number;
}

/**
 * Owns `build_logs` and `build_log_lines`: the lines each attempt of a build printed, kept to a
 * bound per build (ADR 037). Removing a build's log is one delete of its `build_logs` row.
 */
@Injectable()
export class BuildLogsService {
  constructor(
    @InjectRepository(BuildLog) private readonly logs: Repository<BuildLog>,
    @InjectRepository(BuildLogLine) private readonly lines: Repository<BuildLogLine>,
  ) {}

  /**
   * Stores a batch in one round trip (build_log_append: numbers the lines, trims the oldest past
   * the bound, notifies `build_log` on commit). A build that no longer exists stores nothing.
   */
  async append(batch: BuildLogBatch): Promise<void> {
    await this.lines.query(`SELECT build_log_append($1, $2, $3, $4, $5::timestamptz[], $6::text[], $7::text[])`, [
      batch.buildId,
      batch.attempt,
      batch.maxBytes,
      batch.droppedBefore,
      batch.lines.map((line) => line.at),
      batch.lines.map((line) => line.stream),
      batch.lines.map((line) => line.line),
    ]);
  }

  /** Removes these builds' logs, their lines with them, in the caller's transaction; returns how many. */
  async remove(manager: EntityManager, buildIds: readonly string[]): Promise<number> {
    const { affected } = await manager.getRepository(BuildLog).delete({ buildId: In([...buildIds]) });
    return affected ?? 0;
  }

  /** Up to `limit` lines after line `after` (0: from the first kept), oldest first. */
  async linesAfter(buildId: string, after: number, limit: number): Promise<BuildLogLineResponse[]> {
    const rows = await this.lines.query<
      { seq: string; attempt: number; at: Date; stream: BuildLogStream; line: string }[]
    >(
      `SELECT seq, attempt, at, stream, line FROM build_log_lines
        WHERE build_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [buildId, after, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      attempt: row.attempt,
      at: row.at.toISOString(),
      stream: row.stream,
      line: row.line,
    }));
  }

  /** A page of the log, with how many lines were dropped from it so far. */
  async page(buildId: string, after: number, limit: number): Promise<BuildLogPage> {
    const [lines, log] = await Promise.all([
      this.linesAfter(buildId, after, limit + 1),
      this.logs.findOne({ select: { droppedLines: true }, where: { buildId } }),
    ]);
    return {
      items: lines.slice(0, limit),
      hasMore: lines.length > limit,
      droppedLines: Number(log?.droppedLines ?? 0),
    };
  }
}
