import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One attempt to deliver, and what the endpoint answered. */
export class WebhookDeliveryAttemptResponse {
  @ApiProperty({
    description: 'Its number, from 1; counting goes on across redeliveries.',
    type: 'integer',
    example: 1,
  })
  readonly attempt: number;

  @ApiProperty({ description: 'When it was sent.', format: 'date-time', example: '2025-11-25T10:15:42.501Z' })
  readonly attemptedAt: string;

  @ApiProperty({ description: 'How long until the answer, or until it gave up.', type: 'integer', example: 87 })
  readonly durationMs: number;

  @ApiPropertyOptional({
    description: 'The HTTP status the endpoint answered; absent when it gave no answer (see `error`).',
    type: 'integer',
    example: 503,
  })
  readonly statusCode?: number;

  @ApiPropertyOptional({
    description: 'Why no answer came (a timeout, a refused connection); absent when one came.',
    example: 'timeout after 15000 ms',
  })
  readonly error?: string;
}
