import { ApiProperty } from '@nestjs/swagger';
import { BUILD_LOG_STREAMS } from '../build-log-line.entity';
import type { BuildLogStream } from '../build-log-line.entity';

/** One line of a build's log, as `GET /v1/builds/:buildId/logs` and the `log` events send it. */
export class BuildLogLineResponse {
  @ApiProperty({
    description: "The line's number in the build's log (from 1, increasing; numbers of dropped lines are not reused).",
    type: 'integer',
    example: 42,
  })
  readonly seq: number;

  @ApiProperty({ description: 'The attempt that printed it (1 for the first).', type: 'integer', example: 1 })
  readonly attempt: number;

  @ApiProperty({ description: 'When the worker read it.', format: 'date-time', example: '2025-11-25T10:15:33.120Z' })
  readonly at: string;

  @ApiProperty({
    description:
      "Where it came from: the build command's `stdout` or `stderr`, or `system` (the worker and the builder, " +
      'and the line that says how many older lines were dropped).',
    enum: BUILD_LOG_STREAMS,
    example: 'stdout',
  })
  readonly stream: BuildLogStream;

  @ApiProperty({
    description:
      "The text, without its line break: control characters, NUL bytes and invalid UTF-8 removed, the service's " +
      'secrets and server paths replaced; its first 8 KiB (a longer line then says how many bytes were cut).',
    example: 'vite v6.0.1 building for production...',
  })
  readonly line: string;
}
