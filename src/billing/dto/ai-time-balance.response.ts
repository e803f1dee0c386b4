import { ApiProperty } from '@nestjs/swagger';

export class AiTimeBalanceResponse {
  @ApiProperty({
    description: 'The user whose AI time this is.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  readonly userId: string;

  @ApiProperty({
    description:
      'Seconds left to build with. May be negative after a build that ran past its reservation; a new build needs this, less what queued and running builds reserved, to cover its own reservation (AI_TIME_RESERVE_SECONDS, default 1).',
    type: 'integer',
    example: 3542,
  })
  readonly secondsRemaining: number;

  @ApiProperty({ description: 'Seconds debited for finished builds so far.', type: 'integer', example: 58 })
  readonly secondsUsed: number;
}
