/** A delivery a dispatcher has claimed: its attempt number counts this attempt. */
export interface ClaimedDelivery {
  deliveryId: string;
  eventId: string;
  endpointUrl: string;
  attempt: number;
  body: string;
  /** When the event was recorded: the retry schedule's span counts from it. */
  recordedAt: Date;
}

/** What one attempt got: an HTTP status, or an error instead of one. */
export interface AttemptAnswer {
  attemptedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** What becomes of the delivery after an attempt. */
export type AttemptVerdict =
  { outcome: 'delivered' } | { outcome: 'disabled' } | { outcome: 'retried'; delayMs: number } | { outcome: 'failed' };
