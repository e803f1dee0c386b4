import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitSweeper } from './rate-limit-sweeper';
import { RateLimit } from './rate-limit.entity';

/** Owns `rate_limits`; the per-user count is a step of the create and update database functions. */
@Module({
  imports: [TypeOrmModule.forFeature([RateLimit])],
  providers: [RateLimitSweeper],
})
export class RateLimitsModule {}
