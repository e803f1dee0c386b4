import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FRAMEWORKS } from '../framework';
import type { Framework } from '../framework';
import type { IdSource, ProjectBuildStatus } from '../project.entity';

export class ProjectResponse {
  @ApiProperty({ description: 'The project (UUID).', format: 'uuid', example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' })
  readonly projectId: string;

  @ApiProperty({
    description: 'The user who owns it.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  readonly ownerId: string;

  @ApiProperty({ description: 'The display name.', example: 'Todo app' })
  readonly name: string;

  @ApiProperty({
    description: 'The framework it is built with: that of its latest build (an update may switch it).',
    enum: FRAMEWORKS,
    example: 'nextjs',
  })
  readonly framework: Framework;

  @ApiProperty({
    description:
      'The state of its current build: `ready` once a build succeeded, `failed` after a failed build (the previous version stays current). A rollback does not change it.',
    enum: ['queued', 'building', 'ready', 'failed'],
    example: 'ready',
  })
  readonly buildStatus: ProjectBuildStatus;

  @ApiPropertyOptional({
    description:
      'The version served (ULID): that of the last successful build, or the one a rollback (`POST /v1/projects/:projectId/current-version`) made current since; absent until a build succeeded.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  readonly currentVersionId?: string;

  @ApiPropertyOptional({
    description: 'The latest build queued for it (ULID); absent only for a project no build was ever queued for.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6',
  })
  readonly currentBuildId?: string;

  @ApiProperty({
    description: 'Who chose projectId: the server, or a legacy client.',
    enum: ['server', 'client'],
    example: 'server',
  })
  readonly idSource: IdSource;

  @ApiProperty({ description: 'The service that created the project.', example: 'worker-service' })
  readonly createdBy: string;

  @ApiProperty({ description: 'When it was created.', format: 'date-time', example: '2025-11-25T10:15:30.123Z' })
  readonly createdAt: string;

  @ApiProperty({ description: 'When it last changed.', format: 'date-time', example: '2025-11-25T10:15:42.456Z' })
  readonly updatedAt: string;

  @ApiPropertyOptional({
    description: "Where the current version's preview is served; absent without a current version.",
    example: '/preview/3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a/01JDRZ8Q4XK8V1N9E6W3T2Y5B7/',
  })
  readonly previewUrl?: string;

  @ApiPropertyOptional({
    description:
      'Where the current version is served, whichever it is: one stable URL per project to embed (no-cache, an ETag per version), so a rollback or a new build shows at once; absent without a current version.',
    example: '/preview/3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a/',
  })
  readonly livePreviewUrl?: string;
}
