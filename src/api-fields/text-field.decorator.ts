import { applyDecorators } from '@nestjs/common';
import { IsString, ValidateBy } from 'class-validator';

/**
 * A string of `min..max` characters (code points, as PostgreSQL's char_length counts them, so an
 * emoji is one) that holds no NUL character, which PostgreSQL text cannot store.
 */
export function TextField(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsString(),
    ValidateBy({
      name: 'noNulCharacter',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !value.includes('\u0000'),
        defaultMessage: (args) => `${args?.property ?? 'value'} must not contain NUL characters`,
      },
    }),
    ValidateBy({
      name: 'charLength',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isBetween([...value].length, min, max),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be ${min} to ${max} characters long`,
      },
    }),
  );
}

function isBetween(length: number, min: number, max: number): boolean {
  return length >= min && length <= max;
}
