import { ApiProperty } from '@nestjs/swagger';
import { UlidField } from '../../api-fields/ulid-field.decorator';
import { UuidField } from '../../api-fields/uuid-field.decorator';

export class SetCurrentVersionRequest {
  @ApiProperty({
    description: 'The user who owns the project.',
    format: 'uuid',
    example: '7d8f4f0e-2a51-4c8e-9b8e-1f2d3c4b5a69',
  })
  @UuidField()
  readonly userId: string;

  @ApiProperty({
    description:
      'The version to serve (ULID; case-insensitive): one of the project\u2019s versions, as `GET /v1/projects/:projectId/versions` lists them. Anything else: 404 version_not_found.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  @UlidField()
  readonly versionId: string;
}
