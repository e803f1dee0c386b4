import { ApiProperty } from '@nestjs/swagger';
import { VersionResponse } from './version.response';

export class VersionListResponse {
  @ApiProperty({
    description: "The project's versions, newest first: one per successful build (failed builds leave none).",
    type: [VersionResponse],
  })
  readonly items: VersionResponse[];
}
