import { ApiProperty } from '@nestjs/swagger';
import { UlidField } from '../../api-fields/ulid-field.decorator';
import { OwnerQuery } from '../../projects/dto/owner.query';

/** `userId` as every read takes it: the user asking, who must own the project. */
export class SetCurrentVersionRequest extends OwnerQuery {
  @ApiProperty({
    description:
      'The version to serve (ULID; case-insensitive): one of the project\u2019s versions, as `GET /v1/projects/:projectId/versions` lists them. Anything else: 404 version_not_found.',
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  @UlidField()
  readonly versionId: string;
}
