import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { BuildQueueService } from '../builds/build-queue.service';
import { ShutdownState } from '../shutdown/shutdown-state';

const CHECK_TIMEOUT_MS = 1500;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly buildQueue: BuildQueueService,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @ApiOkResponse({ description: 'The process is up (also while it shuts down, until it exits).' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiServiceUnavailableResponse({
    description:
      'The process is shutting down, or the database or the build queue cannot be reached (application/problem+json, code service_unavailable).',
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
    ]);
  }
}
