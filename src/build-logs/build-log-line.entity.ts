import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { BuildLog } from './build-log.entity';

export const BUILD_LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;

/** `system`: what the worker and the builder say about the attempt, and the dropped-lines marker. */
export type BuildLogStream = (typeof BUILD_LOG_STREAMS)[number];

/**
 * A row of `build_log_lines`: one line a build's attempt printed, numbered per build (owned by the
 * build-logs module). Its text is sanitised and redacted before it is stored, never interpreted.
 */
@Entity({ name: 'build_log_lines' })
@Check('build_log_lines_seq_check', `seq > 0`)
@Check('build_log_lines_attempt_check', `attempt > 0`)
@Check('build_log_lines_stream_check', `stream IN ('stdout', 'stderr', 'system')`)
export class BuildLogLine {
  @PrimaryColumn('text', { name: 'build_id' })
  @ForeignKey(() => BuildLog, { name: 'build_log_lines_build_id_fkey', onDelete: 'CASCADE' })
  buildId: string;

  @PrimaryColumn('bigint')
  seq: string;

  @Column('integer')
  attempt: number;

  @Column('timestamptz')
  at: Date;

  @Column('text')
  stream: BuildLogStream;

  @Column('text')
  line: string;
}
