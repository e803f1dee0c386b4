import { ApiProperty } from '@nestjs/swagger';
import { BuildEventData } from './build-event.data';

/** `data` of a `build.succeeded` event. */
export class BuildSucceededEventData extends BuildEventData {
  @ApiProperty({
    description: "The version the build created, now the project's current one (ULID).",
    example: '01JDRZ8Q4XK8V1N9E6W3T2Y5B7',
  })
  readonly versionId: string;

  @ApiProperty({ enum: ['succeeded'], example: 'succeeded' })
  readonly status: 'succeeded';
}
