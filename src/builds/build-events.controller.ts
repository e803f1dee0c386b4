import { Controller, Param, Query, Sse, SseSignal } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { OwnerQuery } from '../projects/dto/owner.query';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildParams } from './dto/build.params';

const EXAMPLE_EVENT =
  'event: status\nid: 1\ndata: {"buildId":"01JDRZ8Q4XK8V1N9E6W3T2Y5B6","projectId":"3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a","versionId":"01JDRZ8Q4XK8V1N9E6W3T2Y5B7","status":"running","isInitialBuild":true,"attempts":1,"startedAt":"2025-11-25T10:15:31.002Z"}\n\n';

@ApiTags('builds')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/builds')
export class BuildEventsController {
  constructor(private readonly statusEvents: BuildStatusEventsService) {}

  /** Ownership is settled before the stream starts: until then, an error is still a problem+json answer. */
  @Sse(':buildId/events')
  @ApiOperation({
    summary: "A build's status as it changes (Server-Sent Events)",
    description:
      'First the current status, then one event per status change and, while queued, per change of `queuePosition` ' +
      '(checked every 5 s); the stream ends after `succeeded`, `failed` or `canceled`. ' +
      'Each event is `event: status` with `data` the same JSON as `GET /v1/builds/{buildId}` (BuildResponse). ' +
      'A comment (`: keep-alive`) is sent every 15 s. Status changes made by a worker in any process are seen. ' +
      'A build that does not exist and one of another user are the same 404, answered before any event.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The event stream.',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: EXAMPLE_EVENT } },
  })
  @ApiProblems('validation_failed', 'build_not_found', 'database_unavailable')
  stream(
    @Param() { buildId }: BuildParams,
    @Query() { userId }: OwnerQuery,
    @SseSignal() ended: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.statusEvents.stream(userId, buildId, ended);
  }
}
