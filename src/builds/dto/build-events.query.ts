import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryIntegerField } from '../../api-fields/query-integer-field.decorator';
import { OwnerQuery } from '../../projects/dto/owner.query';

/** `?userId=&after=`: the owner, and the last log line the caller has. */
export class BuildEventsQuery extends OwnerQuery {
  @ApiPropertyOptional({
    description:
      'The `seq` of the last log line you have (from a `log` event or a page); only later lines are sent. ' +
      'Omit it for the whole log kept so far.',
    type: 'integer',
    minimum: 0,
    example: 120,
  })
  @QueryIntegerField(0, Number.MAX_SAFE_INTEGER)
  readonly after?: number;
}
