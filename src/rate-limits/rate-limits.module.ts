import { Module } from '@nestjs/common';
import { UserRateLimitService } from './user-rate-limit.service';

/** Needs DatabaseConnection (global, DatabaseModule) and RateLimitsConfig (global, ConfigModule). */
@Module({
  providers: [UserRateLimitService],
  exports: [UserRateLimitService],
})
export class RateLimitsModule {}
