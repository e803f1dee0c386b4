import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicSweep } from '../database/periodic-sweep';
import { IdempotencyService } from './idempotency.service';

const SWEEP_INTERVAL_MS = 15 * 60 * 1000;

/**
 * Deletes expired idempotency keys and dedupe fingerprints every quarter of an hour. Every process
 * sweeps; the deletes are idempotent, so running them in several places costs only a query.
 */
@Injectable()
export class IdempotencySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencySweeper.name);
  private readonly sweeps = new PeriodicSweep(IdempotencySweeper.name, 'idempotency sweep', SWEEP_INTERVAL_MS, () =>
    this.deleteExpired(),
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyService,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start();
  }

  onModuleDestroy(): void {
    this.sweeps.stop();
  }

  sweep(): Promise<void> {
    return this.sweeps.run();
  }

  private async deleteExpired(): Promise<void> {
    const deleted = await this.idempotency.sweep(this.dataSource.manager);
    if (deleted > 0) this.logger.log(`swept ${deleted} expired idempotency records`);
  }
}
