import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { BuildStatus } from '../build-metrics.entity';

export class BuildResponse {
  @ApiProperty({ description: 'The build (ULID).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  readonly buildId: string;

  @ApiProperty({
    description: 'The project it builds.',
    format: 'uuid',
    example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
  })
  readonly projectId: string;

  @ApiProperty({
    description:
      'The version this build creates if, and only if, it succeeds (ULID); it exists in the versions list only then.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  readonly versionId: string;

  @ApiProperty({
    description:
      'queued, then running (per attempt), then succeeded or failed; canceled when its owner canceled it first.',
    enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'],
    example: 'succeeded',
  })
  readonly status: BuildStatus;

  @ApiProperty({ description: "True for the project's first build, false for an update.", example: true })
  readonly isInitialBuild: boolean;

  @ApiProperty({ description: 'Attempts started so far (retries included).', example: 1 })
  readonly attempts: number;

  @ApiPropertyOptional({
    description:
      "While queued, its place among the builds waiting to start: 1 is the next to start. The line is by round (how many of its user's builds, at most BUILDS_PER_USER at once, must finish first), then by age; absent once a worker took it, and when running or finished.",
    type: 'integer',
    minimum: 1,
    example: 3,
  })
  readonly queuePosition?: number;

  @ApiPropertyOptional({
    description: 'When the first attempt started; absent while queued.',
    format: 'date-time',
    example: '2025-11-25T10:15:31.002Z',
  })
  readonly startedAt?: string;

  @ApiPropertyOptional({
    description: 'When it succeeded, failed or was canceled; absent until then.',
    format: 'date-time',
    example: '2025-11-25T10:15:42.456Z',
  })
  readonly finishedAt?: string;

  @ApiPropertyOptional({
    description: "The attempts' running time added up, in milliseconds (the time billed); absent until one ended.",
    type: 'integer',
    example: 11454,
  })
  readonly durationMs?: number;

  @ApiPropertyOptional({
    description: 'Why the last attempt failed (the end of its output, without server paths); absent otherwise.',
    example: 'npm error Missing script: "build"',
  })
  readonly error?: string;
}
