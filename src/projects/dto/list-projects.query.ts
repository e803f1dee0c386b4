import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { OptionalField } from '../../api-fields/optional-field.decorator';
import { QueryIntegerField } from '../../api-fields/query-integer-field.decorator';
import { OwnerQuery } from './owner.query';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export class ListProjectsQuery extends OwnerQuery {
  @ApiPropertyOptional({
    description: 'How many projects to return at most.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    example: 20,
  })
  @QueryIntegerField(1, MAX_PAGE_SIZE)
  readonly limit?: number;

  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page; omit it for the first page. Opaque.',
    example: 'MjAyNS0xMS0yNVQxMDoxNTozMC4xMjM0NTZafDNlNWMxYTJiLTlkOGYtNGM3ZS1hNmI1LTBmMWUyZDNjNGI1YQ',
  })
  @OptionalField()
  @IsString()
  readonly cursor?: string;
}
