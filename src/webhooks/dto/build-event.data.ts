import { ApiProperty } from '@nestjs/swagger';

/** What every build event's `data` tells: whose build, of which project, and the seconds it was billed. */
export class BuildEventData {
  @ApiProperty({ description: "The project's owner.", format: 'uuid', example: '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b' })
  readonly userId: string;

  @ApiProperty({ description: 'The project built.', format: 'uuid', example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' })
  readonly projectId: string;

  @ApiProperty({ description: 'The build (ULID).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  readonly buildId: string;

  @ApiProperty({
    description: "AI-time seconds this build was billed (its attempts' running time, rounded up).",
    type: 'integer',
    minimum: 0,
    example: 42,
  })
  readonly secondsBilled: number;
}
