import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { SingleFlight } from '../idempotency/single-flight';
import { MAX_CLOCK_SKEW_SECONDS } from './request-signature';

/** Expired signatures go every few minutes; the grace keeps the sweep clear of clock skew between hosts. */
const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_GRACE_SECONDS = 10 * 60;

/** A signed write's signature, as the guard verified it. */
export interface SignatureUse {
  /** The 32-byte MAC the request carried. */
  readonly mac: Buffer;
  /** The request's `X-Sheen-Timestamp`, Unix seconds. */
  readonly timestamp: number;
  readonly idempotencyKey?: string;
}

/** How a signature was first used, as a later request with the same signature learns it. */
export interface FirstUse {
  readonly idempotencyKey?: string;
  /** Milliseconds since the first use. */
  readonly ageMs: number;
}

interface SpendRow {
  uses: number;
  idempotency_key: string | null;
  age_ms: number;
}

/**
 * The first request to spend a signature inserts it; a later one finds it and counts the reuse
 * (`uses` counts the statements: repeats that shared a first use's round trip in one process are
 * not counted).
 * The commit is asynchronous (`synchronous_commit` off for this transaction only): the write the
 * request then makes commits synchronously, and so flushes the log past this row, so a spent
 * signature is durable whenever its request's effect is, without a flush of its own.
 */
const SPEND = `
  WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
  INSERT INTO spent_signatures AS spent (signature, idempotency_key, expires_at)
  SELECT $1, $2, to_timestamp($3) FROM asynchronous
  ON CONFLICT (signature) DO UPDATE SET uses = spent.uses + 1
  RETURNING spent.uses, spent.idempotency_key,
            greatest(0, extract(epoch FROM statement_timestamp() - spent.spent_at) * 1000)::float8 AS age_ms`;

/** Committed asynchronously too: should it be lost, the signature stays spent, the safe way round. */
const GIVE_BACK = `
  WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
  DELETE FROM spent_signatures WHERE signature = $1 AND EXISTS (SELECT FROM asynchronous)`;

/**
 * Owns `spent_signatures` (migration SpentSignatures, ADR 030): every signed write's signature, so
 * a signature buys one effect (a failed write gives it back, unused-signatures.ts), in every API
 * process, until its timestamp leaves the window in which it could verify at all. The same
 * signature arriving again in this process while its first use is in flight shares that use's
 * round trip: a storm of identical double-clicks costs one.
 */
@Injectable()
export class SpentSignatures implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SpentSignatures.name);
  private readonly inFlight = new SingleFlight<SpendRow>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly transactions: TransactionRunner) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepExpired(), SWEEP_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Spends the signature: undefined if this is its first use, otherwise how it was first used. */
  async spend({ mac, timestamp, idempotencyKey }: SignatureUse): Promise<FirstUse | undefined> {
    const { result, leader } = await this.inFlight.run(mac.toString('hex'), () =>
      this.record(mac, idempotencyKey, timestamp + MAX_CLOCK_SKEW_SECONDS),
    );
    if (leader && result.uses === 1) return undefined;
    return { idempotencyKey: result.idempotency_key ?? undefined, ageMs: result.age_ms };
  }

  /** Makes a signature unspent again: its first use failed, so it has bought nothing. */
  async giveBack(mac: Buffer): Promise<void> {
    await this.transactions.alone('spent_signatures_give_back', GIVE_BACK, [mac]);
  }

  /** Deletes signatures that can no longer verify (their timestamp is stale by now). */
  async sweepExpired(): Promise<void> {
    try {
      await this.transactions.alone(
        'spent_signatures_sweep',
        'DELETE FROM spent_signatures WHERE expires_at < now() - make_interval(secs => $1)',
        [SWEEP_GRACE_SECONDS],
      );
    } catch (error) {
      this.logger.warn(`spent-signature sweep failed: ${(error as Error).message}`);
    }
  }

  private async record(mac: Buffer, idempotencyKey: string | undefined, expiresAt: number): Promise<SpendRow> {
    const [row] = await this.transactions.alone<SpendRow>('spent_signatures_spend', SPEND, [
      mac,
      idempotencyKey ?? null,
      expiresAt,
    ]);
    return row;
  }
}
