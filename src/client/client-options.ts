import type { CreatePreviewRequest, ListWebhookDeliveriesQuery, OwnerQuery } from './contract';
import type { RetryOptions } from './retry-policy';

// What a caller passes to the typed client (worker-client.ts): its set-up, and each call's options.

export interface WorkerClientOptions {
  /** The service's origin, e.g. `https://worker.internal:3000`; no path (what is signed is the path the service sees). */
  baseUrl: string;
  /** One of the service's WORKER_SHARED_SECRET values. Server-side only: never ship it to a browser. */
  secret: string;
  /** The fetch to use (default: the global one, looked up at each call). */
  fetch?: typeof fetch;
  /** Retries of `503`, `409 request_in_progress` and network failures. */
  retry?: RetryOptions;
}

export interface CallOptions {
  /** Aborts the request, its retries and the waits between them. */
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  /**
   * 1..255 printable ASCII. Default: a fresh random one per call (kept across that call's retries).
   * Pass your own to make a retry of yours (a resubmitted form) replay the first answer.
   */
  idempotencyKey?: string;
}

/** `?userId=`: the user asking, who must own what is read or deleted. */
export type OwnerOptions = OwnerQuery & CallOptions;

/** The create body. `projectId` is legacy: leave it out and the server chooses the id. */
export type CreatePreviewBody = Omit<CreatePreviewRequest, 'projectId'> & {
  /** @deprecated Let the server choose the id; a used one is `409 project_id_conflict`. */
  readonly projectId?: CreatePreviewRequest['projectId'];
};

/** `?limit=&cursor=` of the deliveries' list: service-wide, so no `userId`. */
export type ListWebhookDeliveriesOptions = ListWebhookDeliveriesQuery & CallOptions;
