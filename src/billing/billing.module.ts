import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AiTimeBalance } from './ai-time-balance.entity';
import { AiTimeBalancesService } from './ai-time-balances.service';
import { AiTimeLedgerEntry } from './ai-time-ledger-entry.entity';
import { AiTimeSession } from './ai-time-session.entity';
import { AiTimeSessionsService } from './ai-time-sessions.service';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { WebhooksModule } from '../webhooks/webhooks.module';

@Module({
  imports: [
    TypeOrmModule.forFeature([AiTimeBalance, AiTimeSession, AiTimeLedgerEntry]),
    IdempotencyModule,
    WebhooksModule,
  ],
  controllers: [BillingController],
  providers: [AiTimeBalancesService, AiTimeSessionsService, BillingService],
  exports: [AiTimeBalancesService, AiTimeSessionsService],
})
export class BillingModule {}
