import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { OptionalField } from './optional-field.decorator';

/**
 * An optional integer query parameter from `min` to `max`. Only plain digits (up to 15, which a
 * number holds exactly) become a number: '1e2', ' 5' or '5.0' stay strings and are refused.
 */
export function QueryIntegerField(min: number, max: number): PropertyDecorator {
  // In the order stacked decorators are applied (the bottom one first), so messages read the same.
  return applyDecorators(
    Max(max),
    Min(min),
    IsInt(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value,
    ),
    OptionalField(),
  );
}
