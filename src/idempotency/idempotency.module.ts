import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencySweeper } from './idempotency-sweeper';
import { IdempotencyService } from './idempotency.service';
import { RecentCreate } from './recent-create.entity';

/** Owns `idempotency_keys` and `recent_creates`: replays by key, dedupe by fingerprint, the sweep. */
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey, RecentCreate])],
  providers: [IdempotencyService, IdempotencySweeper],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
