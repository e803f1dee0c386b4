import { Module } from '@nestjs/common';
import { RateLimitSweeper } from './rate-limit-sweeper';

/** Owns `rate_limits`; the per-user count is a step of the create and update database functions. */
@Module({
  providers: [RateLimitSweeper],
})
export class RateLimitsModule {}
