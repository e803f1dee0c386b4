import { Controller, Get } from '@nestjs/common';
import { stat } from 'node:fs/promises';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { BuildQueueService } from '../build-queue/build-queue.service';
import { ShutdownState } from '../shutdown/shutdown-state';
import { EventLoopDelay } from './event-loop-delay';

const CHECK_TIMEOUT_MS = 1500;

/** A loop held this long since the last check (a synchronous parse, a blocking call) is not ready. */
export const EVENT_LOOP_DELAY_LIMIT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly buildQueue: BuildQueueService,
    private readonly shutdown: ShutdownState,
    private readonly eventLoop: EventLoopDelay,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Whether the process is up (liveness)' })
  @ApiOkResponse({ description: 'The process is up (also while it shuts down, until it exits).' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Whether this process can serve requests now (readiness)' })
  @ApiServiceUnavailableResponse({
    description:
      "The process is shutting down; the database or the build queue cannot be reached; the event loop was held for over a second since the last check; or libuv's thread pool (files, DNS) is full (application/problem+json, code service_unavailable).",
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      // From the first moment of a shutdown, so load balancers stop routing here while requests are still served.
      () =>
        this.shutdown.shuttingDown
          ? this.indicators.check('lifecycle').down({ state: 'shutting down' })
          : this.indicators.check('lifecycle').up({ state: 'serving' }),
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      () =>
        this.indicators
          .check('queue')
          .attempt(() => this.buildQueue.assertReachable())
          .withTimeout(CHECK_TIMEOUT_MS),
      () => {
        const worstDelayMs = this.eventLoop.takeWorstMs();
        const check = this.indicators.check('eventLoop');
        return worstDelayMs > EVENT_LOOP_DELAY_LIMIT_MS ? check.down({ worstDelayMs }) : check.up({ worstDelayMs });
      },
      // A stat runs on libuv's thread pool, as every file operation does: when all its threads are
      // stuck (a blocking open), previews and creates are stuck too.
      () =>
        this.indicators
          .check('threadPool')
          .attempt(async () => void (await stat('.')))
          .withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }
}
