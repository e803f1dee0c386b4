import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROBLEM_STATUS } from '../errors/problem-status';
import { LISTED_FIELD_ERRORS } from '../errors/request-validation.error';

class FieldErrorDto {
  @ApiProperty({ example: 'prompt' })
  readonly field: string;

  @ApiProperty({ example: 'prompt must be 1 to 20000 characters long' })
  readonly message: string;
}

/** The OpenAPI schema of every error body (RFC 9457 problem details). */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:sheen:problem:validation_failed' })
  readonly type: string;

  @ApiProperty({ example: 'Invalid request' })
  readonly title: string;

  @ApiProperty({ example: 400 })
  readonly status: number;

  @ApiProperty({ example: 'prompt: prompt must be 1 to 20000 characters long' })
  readonly detail: string;

  @ApiProperty({
    description: 'Stable, machine-readable error code.',
    enum: Object.keys(PROBLEM_STATUS),
    example: 'validation_failed',
  })
  readonly code: string;

  @ApiPropertyOptional({
    description: `Field errors, on 400 only: the first ${LISTED_FIELD_ERRORS}; \`detail\` counts any more.`,
    type: [FieldErrorDto],
    maxItems: LISTED_FIELD_ERRORS,
  })
  readonly errors?: FieldErrorDto[];

  @ApiPropertyOptional({
    description: 'On 409 build_in_progress only: the build still queued or running.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6',
  })
  readonly buildId?: string;
}
