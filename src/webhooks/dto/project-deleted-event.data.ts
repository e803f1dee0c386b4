import { ApiProperty } from '@nestjs/swagger';

/** `data` of a `project.deleted` event: the project, its builds, versions and files are gone. */
export class ProjectDeletedEventData {
  @ApiProperty({ description: "The project's owner.", format: 'uuid', example: '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b' })
  readonly userId: string;

  @ApiProperty({ description: 'The deleted project.', format: 'uuid', example: '3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a' })
  readonly projectId: string;
}
