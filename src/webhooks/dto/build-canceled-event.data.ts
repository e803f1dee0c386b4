import { ApiProperty } from '@nestjs/swagger';
import { BuildEventData } from './build-event.data';

/** `data` of a `build.canceled` event: its owner canceled it before it finished. */
export class BuildCanceledEventData extends BuildEventData {
  @ApiProperty({ enum: ['canceled'], example: 'canceled' })
  readonly status: 'canceled';
}
