import { ValidateIf } from 'class-validator';

/**
 * A field that may be absent. Unlike `@IsOptional()`, `null` is still validated (and refused):
 * in this API a field is either absent or present with a valid value.
 */
export function OptionalField(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}
