import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, ValidateBy } from 'class-validator';

/**
 * A string of `min..max` characters (code points, as PostgreSQL's char_length counts them, so an
 * emoji is one) that holds no NUL byte, which PostgreSQL text cannot store.
 */
export function TextField(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' }),
    ValidateBy({
      name: 'charLength',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && between([...value].length, min, max),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be ${min} to ${max} characters long`,
      },
    }),
  );
}

function between(length: number, min: number, max: number): boolean {
  return length >= min && length <= max;
}
