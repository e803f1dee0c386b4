import { configFromEnv, Environment, IntegerIn } from '../config/config-from-env';

/** What a log line counts besides its UTF-8 bytes (its row's other columns), as build_log_append counts it. */
export const LOG_LINE_OVERHEAD_BYTES = 32;

/** What build_log_append keeps free for the dropped-lines marker: a batch is at most the bound less this. */
export const LOG_MARKER_ROOM_BYTES = 256;

export class BuildLogsConfig {
  /**
   * A build's log, its attempts together, is kept to this many bytes (each line's UTF-8 bytes plus
   * LOG_LINE_OVERHEAD_BYTES); older lines are dropped first. At least 64 KiB, so a bound always
   * holds a few long lines beside the marker; at most 16 MiB, because a worker buffers up to twice
   * the bound per running build and an event stream reads a build's whole log when it opens.
   */
  @IntegerIn(64 * 1024, 16 * 1024 * 1024)
  readonly maxBytes: number = 1024 * 1024;

  static fromEnv(env: Environment): BuildLogsConfig {
    return configFromEnv(BuildLogsConfig, env, { maxBytes: 'BUILD_LOG_MAX_BYTES' });
  }
}
