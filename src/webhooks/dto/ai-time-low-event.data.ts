import { ApiProperty } from '@nestjs/swagger';

/** `data` of an `ai_time.low` event: a build's debit took the user's balance below the threshold. */
export class AiTimeLowEventData {
  @ApiProperty({ description: 'Whose balance.', format: 'uuid', example: '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b' })
  readonly userId: string;

  @ApiProperty({
    description: 'The balance after the debit, in seconds (below zero when a build used more than was left).',
    type: 'integer',
    example: 540,
  })
  readonly secondsRemaining: number;

  @ApiProperty({ description: 'AI_TIME_LOW_SECONDS: the balance it fell below.', type: 'integer', example: 600 })
  readonly thresholdSeconds: number;
}
