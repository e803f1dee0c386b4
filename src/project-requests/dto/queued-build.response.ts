import { ApiProperty } from '@nestjs/swagger';

/** What every request that queues a build answers with (create-preview and update-project). */
export class QueuedBuildResponse {
  @ApiProperty({ description: 'Always true on success; errors are problem+json instead.', enum: [true], example: true })
  readonly success: true;

  @ApiProperty({
    description: 'The project the build belongs to.',
    format: 'uuid',
    example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a',
  })
  readonly projectId: string;

  @ApiProperty({
    description: 'The version this build creates if, and only if, it succeeds (ULID).',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  readonly versionId: string;

  @ApiProperty({ description: 'The build that was queued (ULID).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  readonly buildId: string;

  @ApiProperty({ description: 'Row id of the build in project_build_metrics.', example: 42 })
  readonly buildMetricsId: number;

  @ApiProperty({
    description: 'The queued build job.',
    format: 'uuid',
    example: 'c2a7e9f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b',
  })
  readonly jobId: string;

  @ApiProperty({
    description: 'The AI-time session the build is billed to (ULID).',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B8',
  })
  readonly aiTimeSessionId: string;

  @ApiProperty({ description: 'The build is queued; follow it by its buildId.', enum: ['queued'], example: 'queued' })
  readonly status: 'queued';
}
