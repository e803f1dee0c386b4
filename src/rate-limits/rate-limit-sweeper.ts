import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { PeriodicSweep } from '../database/periodic-sweep';
import { RateLimit } from './rate-limit.entity';

/** Expired rows go every few minutes; the grace keeps the sweep well clear of any clock skew. */
const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_GRACE_MS = 10 * 60_000;

/**
 * Owns the `rate_limits` table: one row per user, how many creates plus updates they started in
 * their current one-minute window. The counting is `rate_limits_consume_user_write`, a step of the
 * create and update functions (migration BuildRequestFunctions), inside the request's transaction
 * under the user's lock, so every API process shares the count; this deletes the windows that ended.
 */
@Injectable()
export class RateLimitSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sweeps = new PeriodicSweep(RateLimitSweeper.name, 'rate-limit sweep', SWEEP_EVERY_MS, () =>
    this.deleteEnded(Date.now()),
  );

  constructor(@InjectRepository(RateLimit) private readonly rateLimits: Repository<RateLimit>) {}

  onApplicationBootstrap(): void {
    this.sweeps.start();
  }

  onModuleDestroy(): void {
    this.sweeps.stop();
  }

  /** Deletes windows that ended more than the grace ago (they count as empty anyway). */
  sweepExpired(now: number = Date.now()): Promise<void> {
    return this.sweeps.run(() => this.deleteEnded(now));
  }

  private async deleteEnded(now: number): Promise<void> {
    await this.rateLimits.delete({ expire: LessThan(String(now - SWEEP_GRACE_MS)) });
  }
}
