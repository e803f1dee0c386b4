import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { userLock } from '../database/advisory-lock';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { RequestOutcome } from '../idempotency/request-outcome';
import { AiTimeBalancesService, AiTimeBalanceView } from './ai-time-balances.service';

export interface NewGrant {
  seconds: number;
  reason: string;
}

/** The billing endpoints: reading a user's AI time, and granting more under the user's lock. */
@Injectable()
export class BillingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly balances: AiTimeBalancesService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** A user never seen reads the welcome balance they would start with; nothing is written. */
  balanceOf(userId: string): Promise<AiTimeBalanceView> {
    return this.balances.read(this.dataSource.manager, userId);
  }

  /**
   * Welcome balance first if the user is new, then the grant and its ledger row, under the user's
   * lock, so it serialises with that user's creates and other grants. With an Idempotency-Key, a
   * repeat gets the first grant's answer and grants nothing (another grant under the key: 422).
   */
  grant(
    userId: string,
    { seconds, reason }: NewGrant,
    idempotencyKey?: string,
  ): Promise<RequestOutcome<AiTimeBalanceView>> {
    const request = { userId, seconds, reason };
    const identity = this.idempotency.identify(
      { method: 'POST', path: `/v1/billing/${userId}/grants` },
      request,
      idempotencyKey,
    );
    return this.transactions.inTransaction(userLock(userId), ({ manager }) =>
      this.idempotency.answerOnce(manager, identity, 201, async () => {
        const current = await this.balances.ensure(manager, userId);
        return this.balances.grant(manager, current, seconds, reason);
      }),
    );
  }
}
