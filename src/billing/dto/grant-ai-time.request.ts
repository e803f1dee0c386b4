import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { TextField } from '../../api-fields/text-field.decorator';
import { MAX_GRANT_SECONDS } from '../ai-time-policy';

export class GrantAiTimeRequest {
  @ApiProperty({
    description: 'Seconds of AI time to add to the balance: a whole number, at least 1.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_GRANT_SECONDS,
    example: 3600,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_GRANT_SECONDS)
  readonly seconds: number;

  @ApiProperty({
    description: 'Why the time is granted; kept in the ledger.',
    minLength: 1,
    maxLength: 500,
    example: 'Monthly plan renewal',
  })
  @TextField(1, 500)
  readonly reason: string;
}
