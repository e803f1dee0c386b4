import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';

/** Outside /v1, so unsigned: scrapers hold no secret. */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: "This process's metrics for Prometheus",
    description:
      'Prometheus text format: the process defaults and the `sheen_*` metrics (creates, dedupes, replays, builds, queue pickup latency, database pool). Needs no signature.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics, in the Prometheus text exposition format 0.0.4.' })
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
