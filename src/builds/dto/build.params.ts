import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';
import { ULID_PATTERN } from '../../ids/ids';

export class BuildParams {
  @ApiProperty({ description: 'The build (ULID; case-insensitive).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  // Crockford base32 is case-insensitive; the schema stores ULIDs upper-cased.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @Matches(ULID_PATTERN, { message: 'buildId must be a ULID (26 characters of Crockford base32)' })
  readonly buildId: string;
}
