import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { BuildMetrics } from '../builds/build-metrics.entity';

/**
 * A row of `build_logs`: one build's log, its running totals (owned by the build-logs module).
 * Written only by `build_log_append` (migration BuildLogs), which keeps the totals cheap to trim by.
 * bigint columns arrive as strings.
 */
@Entity({ name: 'build_logs' })
@Check('build_logs_last_seq_check', `last_seq >= 0`)
@Check('build_logs_stored_bytes_check', `stored_bytes >= 0`)
@Check('build_logs_dropped_lines_check', `dropped_lines >= 0`)
export class BuildLog {
  @PrimaryColumn('text', { name: 'build_id' })
  @ForeignKey(() => BuildMetrics, 'buildId', { name: 'build_logs_build_id_fkey', onDelete: 'CASCADE' })
  buildId: string;

  /** The newest line's number; 0 before the first. */
  @Column('bigint', { name: 'last_seq', default: 0 })
  lastSeq: string;

  /** The kept lines' UTF-8 bytes, each line plus LOG_LINE_OVERHEAD_BYTES. */
  @Column('bigint', { name: 'stored_bytes', default: 0 })
  storedBytes: string;

  /** Lines dropped to keep the log within its bound, from the oldest. */
  @Column('bigint', { name: 'dropped_lines', default: 0 })
  droppedLines: string;

  /** The line that says how many were dropped, once some were. */
  @Column('bigint', { name: 'marker_seq', nullable: true })
  markerSeq: string | null;
}
