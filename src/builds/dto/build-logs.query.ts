import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryIntegerField } from '../../api-fields/query-integer-field.decorator';
import { BuildEventsQuery } from './build-events.query';

export const DEFAULT_LOG_PAGE_LINES = 200;
export const MAX_LOG_PAGE_LINES = 1000;

/** `?userId=&after=&limit=`: a page of a build's log. */
export class BuildLogsQuery extends BuildEventsQuery {
  @ApiPropertyOptional({
    description: 'How many lines to return at most.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_LOG_PAGE_LINES,
    default: DEFAULT_LOG_PAGE_LINES,
    example: 200,
  })
  @QueryIntegerField(1, MAX_LOG_PAGE_LINES)
  readonly limit?: number;
}
