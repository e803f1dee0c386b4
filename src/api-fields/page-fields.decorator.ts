import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { OptionalField } from './optional-field.decorator';
import { QueryIntegerField } from './query-integer-field.decorator';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=` of a keyset list: how many `items` (named in the description) a page holds at most. */
export function PageLimitField(items: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `How many ${items} to return at most.`,
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      example: DEFAULT_PAGE_SIZE,
    }),
    QueryIntegerField(1, MAX_PAGE_SIZE),
  );
}

/** `?cursor=` of a keyset list: the previous page's `nextCursor` (opaque-cursor.ts), checked by the list itself. */
export function PageCursorField(example: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: 'The `nextCursor` of the previous page; omit it for the first page. Opaque.',
      example,
    }),
    OptionalField(),
    IsString(),
  );
}
