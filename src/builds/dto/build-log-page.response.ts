import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BuildLogLineResponse } from '../../build-logs/dto/build-log-line.response';

export class BuildLogPageResponse {
  @ApiProperty({ description: 'The page, oldest line first.', type: [BuildLogLineResponse] })
  readonly items: BuildLogLineResponse[];

  @ApiPropertyOptional({
    description:
      'Pass as `after` for the next page; absent when no line after this page is stored yet. While the build ' +
      "runs, more lines may come: ask again with the last item's `seq` as `after`.",
    type: 'integer',
    example: 200,
  })
  readonly nextCursor?: number;

  @ApiProperty({
    description:
      'How many of the oldest lines were dropped to keep the log within its bound (BUILD_LOG_MAX_BYTES); a ' +
      '`system` line in their place says so too.',
    type: 'integer',
    example: 0,
  })
  readonly droppedLines: number;
}
