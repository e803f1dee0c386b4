import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FRAMEWORKS } from '../../projects/framework';
import type { Framework } from '../../projects/framework';

export class VersionResponse {
  @ApiProperty({ description: 'The version (ULID).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7' })
  readonly versionId: string;

  @ApiProperty({ description: 'The build that succeeded and made it (ULID).', example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B6' })
  readonly buildId: string;

  @ApiProperty({ description: 'The prompt the build was made from.', example: 'A todo app with dark mode' })
  readonly prompt: string;

  @ApiProperty({ description: 'The framework it was built with.', enum: FRAMEWORKS, example: 'nextjs' })
  readonly framework: Framework;

  @ApiProperty({
    description: 'When the build succeeded and the version was recorded.',
    format: 'date-time',
    example: '2025-11-25T10:15:42.456Z',
  })
  readonly createdAt: string;

  @ApiProperty({
    description: "Where this version's preview is served.",
    example: '/preview/3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a/01JDRZ8Q4XK8V1N9E6W3T2Y5B7/',
  })
  readonly previewUrl: string;

  @ApiPropertyOptional({
    description:
      "When retention removed this version's files (VERSIONS_KEPT): its preview then answers `410 version_expired`. Absent while they are kept.",
    format: 'date-time',
    example: '2025-12-20T03:00:00.000Z',
  })
  readonly expiredAt?: string;
}
