import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Raw, Repository } from 'typeorm';
import { PeriodicSweep } from '../database/periodic-sweep';
import { TransactionRunner } from '../database/transaction-runner';
import { MAX_CLOCK_SKEW_SECONDS } from './request-signature';
import { SpentSignature } from './spent-signature.entity';

/** Expired signatures go every few minutes; the grace keeps the sweep clear of clock skew between hosts. */
const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_GRACE_SECONDS = 10 * 60;

/** A signed write's signature, as the guard verified it. */
export interface SignatureToSpend {
  /** The 32-byte MAC the request carried. */
  readonly mac: Buffer;
  /** Unix seconds after which the signature can no longer verify, so need not be remembered. */
  readonly expiresAt: number;
}

/** The signature of a request whose `X-Sheen-Timestamp` is `timestamp` (Unix seconds). */
export function signatureToSpend(mac: Buffer, timestamp: number): SignatureToSpend {
  return { mac, expiresAt: timestamp + MAX_CLOCK_SKEW_SECONDS };
}

/** What `spent_signatures_spend` (migration SignatureSpentByCreate) answers. */
export type SpendVerdict = 'first' | 'repeat' | 'replayed';

/**
 * The spend of a write that is not a create. The commit is asynchronous (`synchronous_commit` off
 * for this transaction only): the write the request then makes commits synchronously, and so
 * flushes the log past this row, so a spent signature is durable whenever its request's effect is,
 * without a flush of its own.
 */
const SPEND = `
  WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
  SELECT spent_signatures_spend($1, $2, to_timestamp($3), $4, 0) AS verdict FROM asynchronous`;

/** Committed asynchronously too: should it be lost, the signature stays spent, the safe way round. */
const GIVE_BACK = `
  WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
  DELETE FROM spent_signatures WHERE signature = $1 AND EXISTS (SELECT FROM asynchronous)`;

/**
 * Owns `spent_signatures` (migrations SpentSignatures, SignatureSpentByCreate; ADRs 030, 031):
 * every signed write's signature, so a signature buys one effect in every API process until its
 * timestamp leaves the window in which it could verify at all. A create spends its own, in its
 * statement (create_project); SignatureGuard spends every other write's here, and a failed one's
 * is given back (unused-signatures.ts). The spend and the give-back are prepared statements on the
 * pool (they come with every signed write); the sweep goes through the repository.
 */
@Injectable()
export class SpentSignaturesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sweeps = new PeriodicSweep(
    SpentSignaturesService.name,
    'spent-signature sweep',
    SWEEP_EVERY_MS,
    () => this.deleteExpired(),
  );

  constructor(
    private readonly transactions: TransactionRunner,
    @InjectRepository(SpentSignature) private readonly signatures: Repository<SpentSignature>,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start();
  }

  onModuleDestroy(): void {
    this.sweeps.stop();
  }

  /**
   * Spends the signature of a write that `answersKeyedRepeats` or not: a repeat under the key it was
   * first used with is then 'repeat', any other 'replayed'.
   */
  async spend(
    { mac, expiresAt }: SignatureToSpend,
    idempotencyKey: string | undefined,
    answersKeyedRepeats: boolean,
  ): Promise<SpendVerdict> {
    const [{ verdict }] = await this.transactions.alone<{ verdict: SpendVerdict }>('spent_signatures_spend', SPEND, [
      mac,
      idempotencyKey ?? null,
      expiresAt,
      answersKeyedRepeats,
    ]);
    return verdict;
  }

  /** Makes a signature unspent again: its first use failed, so it has bought nothing. */
  async giveBack(mac: Buffer): Promise<void> {
    await this.transactions.alone('spent_signatures_give_back', GIVE_BACK, [mac]);
  }

  /** Deletes signatures that can no longer verify (their timestamp is stale by now). */
  sweepExpired(): Promise<void> {
    return this.sweeps.run();
  }

  private async deleteExpired(): Promise<void> {
    // On the database's clock, which spent them.
    await this.signatures.delete({
      expiresAt: Raw((column) => `${column} < now() - make_interval(secs => :grace)`, { grace: SWEEP_GRACE_SECONDS }),
    });
  }
}
