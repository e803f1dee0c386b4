import { Module } from '@nestjs/common';
import { IdempotencySweeper } from './idempotency-sweeper';
import { IdempotencyService } from './idempotency.service';

/** Owns `idempotency_keys` and `recent_creates`: replays by key, dedupe by fingerprint, the sweep. */
@Module({
  providers: [IdempotencyService, IdempotencySweeper],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
