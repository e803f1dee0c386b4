import { ApiProperty } from '@nestjs/swagger';
import { BuildEventData } from './build-event.data';

/** `data` of a `build.failed` event: the build's last attempt failed, or the queue gave up on it. */
export class BuildFailedEventData extends BuildEventData {
  @ApiProperty({ enum: ['failed'], example: 'failed' })
  readonly status: 'failed';

  @ApiProperty({ description: 'Why it failed, as `GET /v1/builds/:buildId` reports it.', example: 'timeout' })
  readonly error: string;
}
