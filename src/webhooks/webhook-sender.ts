import { types } from 'node:util';
import { webhookSignature } from './webhook-signature';
import { AttemptAnswer, ClaimedDelivery } from './claimed-delivery';

export const WEBHOOK_USER_AGENT = 'sheen-worker-service-webhooks/1';

/** An attempt's answer, with the `Retry-After` it asked for. */
export interface SentAttempt extends AttemptAnswer {
  retryAfter: string | null;
}

/**
 * POSTs the event's body to the endpoint once, signed Standard Webhooks v1 with every secret. Never
 * throws: a timeout (`timeoutMs`), a refused connection or `stop` aborting it is an answer without a
 * status. Redirects are not followed: a 3xx is an answer like any other that is not 2xx.
 */
export async function sendWebhook(
  delivery: ClaimedDelivery,
  secrets: readonly string[],
  timeoutMs: number,
  stop: AbortSignal,
): Promise<SentAttempt> {
  const attemptedAt = new Date();
  const timestamp = Math.floor(attemptedAt.getTime() / 1000);
  const started = performance.now();
  const durationMs = (): number => Math.round(performance.now() - started);
  try {
    const response = await fetch(delivery.endpointUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(secrets, delivery.eventId, timestamp, delivery.body),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
    });
    // Only the status matters; the body is dropped so the connection is free again.
    await response.body?.cancel().catch(() => undefined);
    return {
      attemptedAt,
      durationMs: durationMs(),
      statusCode: response.status,
      error: null,
      retryAfter: response.headers.get('retry-after'),
    };
  } catch (error) {
    return { attemptedAt, durationMs: durationMs(), statusCode: null, error: describe(error), retryAfter: null };
  }
}

/** Checks errors with isNativeError, not instanceof: fetch's come from another realm under Jest's vm. */
function describe(error: unknown): string {
  if (!types.isNativeError(error)) return String(error);
  if (error.name === 'TimeoutError') return 'timeout: no answer in time';
  const cause = types.isNativeError(error.cause) ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 500);
}
