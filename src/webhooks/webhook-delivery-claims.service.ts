import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { AttemptAnswer, AttemptVerdict, ClaimedDelivery } from './claimed-delivery';

/**
 * Moves `webhook_deliveries` along for the dispatcher (ADR 040): claims the due ones, records each
 * attempt in `webhook_delivery_attempts` and the delivery's new state, and turns an endpoint off in
 * `webhook_endpoints`. Each is one statement, so a transaction of its own; none touches any other table.
 */
@Injectable()
export class WebhookDeliveryClaimsService {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Claims up to `limit` due deliveries to `urls`, only the oldest pending one of each endpoint and
   * ordering key, so a project's events go out in order. The claim counts the attempt and moves
   * `next_attempt_at` a lease ahead: if this process dies with it, any dispatcher retries it then.
   * The checks on the locked row itself are evaluated again when a concurrent claim or answer
   * committed meanwhile, so a delivery is never claimed twice inside one lease.
   */
  async claim(urls: readonly string[], limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = await this.transactions.alone<ClaimedRow>('webhook_deliveries_claim', CLAIM, [urls, limit, leaseMs]);
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      eventId: row.event_id,
      endpointUrl: row.endpoint_url,
      attempt: row.attempts,
      body: row.body,
      recordedAt: row.created_at,
    }));
  }

  /**
   * The attempt's row and the delivery's new state. A retry or a failure is fenced to the claim
   * that made the attempt (a later claim decides instead); a 2xx delivers it whichever claim sent it;
   * a 410 turns the endpoint off and every delivery pending to it `disabled`.
   * @returns how many deliveries the verdict settled (more than one when an endpoint was turned off).
   */
  async record(delivery: ClaimedDelivery, answer: AttemptAnswer, verdict: AttemptVerdict): Promise<number> {
    const attempt = [
      delivery.deliveryId,
      delivery.attempt,
      answer.attemptedAt,
      answer.durationMs,
      answer.statusCode,
      answer.error,
    ];
    const [{ settled }] = await this.transactions.alone<{ settled: number }>(
      `webhook_deliveries_${verdict.outcome}`,
      VERDICTS[verdict.outcome],
      verdict.outcome === 'retried'
        ? [...attempt, verdict.delayMs]
        : verdict.outcome === 'disabled'
          ? [...attempt, delivery.endpointUrl]
          : attempt,
    );
    return settled;
  }
}

interface ClaimedRow {
  delivery_id: string;
  event_id: string;
  endpoint_url: string;
  attempts: number;
  body: string;
  created_at: Date;
}

const CLAIM = `
  WITH heads AS (
    SELECT DISTINCT ON (endpoint_url, ordering_key) delivery_id, next_attempt_at
      FROM webhook_deliveries
     WHERE status = 'pending' AND endpoint_url = ANY($1::text[])
     ORDER BY endpoint_url, ordering_key, seq
  ), due AS (
    SELECT delivery.delivery_id
      FROM webhook_deliveries AS delivery JOIN heads USING (delivery_id)
     WHERE heads.next_attempt_at <= now() AND delivery.status = 'pending' AND delivery.next_attempt_at <= now()
     ORDER BY heads.next_attempt_at
     LIMIT $2::integer
       FOR UPDATE OF delivery SKIP LOCKED
  )
  UPDATE webhook_deliveries AS delivery
     SET attempts = delivery.attempts + 1, next_attempt_at = now() + $3::integer * interval '1 millisecond'
    FROM due, webhook_events AS event
   WHERE delivery.delivery_id = due.delivery_id AND event.event_id = delivery.event_id
  RETURNING delivery.delivery_id, delivery.event_id, delivery.endpoint_url, delivery.attempts, event.body,
            event.created_at`;

/** $1 delivery, $2 attempt, $3 attempted at, $4 duration, $5 status code, $6 error. */
const ATTEMPT = `attempt AS (
    INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error)
    VALUES ($1, $2::integer, $3::timestamptz, $4::integer, $5::integer, $6::text)
    ON CONFLICT (delivery_id, attempt) DO NOTHING
  )`;

const LAST_ANSWER = `last_attempt_at = $3, last_status_code = $5, last_error = $6`;

const VERDICTS: Record<AttemptVerdict['outcome'], string> = {
  delivered: `
    WITH ${ATTEMPT}, settled AS (
      UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), ${LAST_ANSWER}
       WHERE delivery_id = $1 AND status = 'pending'
      RETURNING 1
    )
    SELECT count(*)::int AS settled FROM settled`,
  retried: `
    WITH ${ATTEMPT}, settled AS (
      UPDATE webhook_deliveries SET next_attempt_at = now() + $7::integer * interval '1 millisecond', ${LAST_ANSWER}
       WHERE delivery_id = $1 AND status = 'pending' AND attempts = $2
      RETURNING 1
    )
    SELECT count(*)::int AS settled FROM settled`,
  failed: `
    WITH ${ATTEMPT}, settled AS (
      UPDATE webhook_deliveries SET status = 'failed', ${LAST_ANSWER}
       WHERE delivery_id = $1 AND status = 'pending' AND attempts = $2
      RETURNING 1
    )
    SELECT count(*)::int AS settled FROM settled`,
  disabled: `
    WITH ${ATTEMPT}, endpoint AS (
      INSERT INTO webhook_endpoints (url, disabled_reason) VALUES ($7::text, 'answered 410 Gone')
      ON CONFLICT (url) DO NOTHING
    ), answered AS (
      -- Also when a concurrent 410 to the same endpoint has already disabled it: the answer is still its own.
      UPDATE webhook_deliveries SET status = 'disabled', ${LAST_ANSWER}
       WHERE delivery_id = $1 AND status IN ('pending', 'disabled')
      RETURNING 1
    ), others AS (
      UPDATE webhook_deliveries SET status = 'disabled'
       WHERE endpoint_url = $7::text AND status = 'pending' AND delivery_id <> $1
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM others)::int + (SELECT count(*) FROM answered)::int AS settled`,
};
