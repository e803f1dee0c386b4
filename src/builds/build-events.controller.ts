import { Controller, Param, Query, Sse, SseSignal } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { BuildStatusEventsService } from './build-status-events.service';
import { BuildEventsQuery } from './dto/build-events.query';
import { BuildParams } from './dto/build.params';

const EXAMPLE_EVENT =
  'event: status\nid: 1\ndata: {"buildId":"01JDRZ8Q4XK8V1N9E6W3T2Y5B6","projectId":"3e5c1a2b-9d8f-4c7e-a6b5-0f1e2d3c4b5a","versionId":"01JDRZ8Q4XK8V1N9E6W3T2Y5B7","status":"running","isInitialBuild":true,"attempts":1,"startedAt":"2025-11-25T10:15:31.002Z"}\n\n' +
  'event: log\nid: 2\ndata: {"lines":[{"seq":1,"attempt":1,"at":"2025-11-25T10:15:31.010Z","stream":"system","line":"attempt 1 started"}]}\n\n';

@ApiTags('builds')
@ApiExtraModels(ProblemDetailsDto)
@Controller('v1/builds')
export class BuildEventsController {
  constructor(private readonly statusEvents: BuildStatusEventsService) {}

  /** Ownership is settled before the stream starts: until then, an error is still a problem+json answer. */
  @Sse(':buildId/events')
  @ApiOperation({
    summary: "A build's status and log as they change (Server-Sent Events)",
    description:
      'First the log lines kept so far (after `after`) and the current status, then each batch of log lines and ' +
      'each status change as they happen, and while queued each change of `queuePosition` (checked every 5 s); ' +
      'the stream ends after `succeeded`, `failed` or `canceled`. `event: status` has `data` the same JSON as ' +
      '`GET /v1/builds/{buildId}` (BuildResponse); `event: log` has `data` `{ lines: [...] }`, the items of ' +
      '`GET /v1/builds/{buildId}/logs`. Every status event comes after the lines stored before it, so the final ' +
      "one comes after the build's whole log. To reconnect without receiving the log again, pass the last " +
      "line's `seq` as `after` (`Last-Event-ID` is not read). A comment (`: keep-alive`) is sent every 15 s. " +
      'Changes made by a worker in any process are seen. A build that does not exist and one of another user ' +
      'are the same 404, answered before any event.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The event stream.',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: EXAMPLE_EVENT } },
  })
  @ApiProblems('validation_failed', 'build_not_found', 'database_unavailable')
  stream(
    @Param() { buildId }: BuildParams,
    @Query() { userId, after }: BuildEventsQuery,
    @SseSignal() ended: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.statusEvents.stream(userId, buildId, ended, after);
  }
}
