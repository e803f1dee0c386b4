import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';
import { ULID_PATTERN } from '../ids/ids';

/** A ULID, upper-cased before validation: Crockford base32 is case-insensitive, and the schema stores ULIDs upper-cased. */
export function UlidField(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value)),
    Matches(ULID_PATTERN, { message: '$property must be a ULID (26 characters of Crockford base32)' }),
  );
}
