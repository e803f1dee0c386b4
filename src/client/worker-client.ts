import type {
  AiTimeBalanceResponse,
  BuildLogPageResponse,
  BuildLogsQuery,
  BuildResponse,
  CancelBuildRequest,
  CreatePreviewResponse,
  GrantAiTimeRequest,
  ListProjectsQuery,
  ProjectListResponse,
  ProjectResponse,
  SetCurrentVersionRequest,
  UpdateProjectRequest,
  UpdateProjectResponse,
  VersionListResponse,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
} from './contract';
import { BuildFollowEvent, followBuildEvents } from './build-events-follower';
import type {
  CallOptions,
  CreatePreviewBody,
  ListWebhookDeliveriesOptions,
  OwnerOptions,
  WorkerClientOptions,
  WriteOptions,
} from './client-options';
import { RequestSigner } from './request-signer';
import { DEFAULT_RETRY, isRetryable, retryDelayMs, RetryOptions, sleep } from './retry-policy';
import { WorkerApiError } from './worker-api.error';

/**
 * The typed client of the worker service for server-side callers (a NextJS route handler, a
 * script): one method per endpoint of docs/contract.md. Every request is signed (v2: the signature
 * covers the Idempotency-Key too); creates, updates and grants always carry an Idempotency-Key;
 * answers worth retrying are retried with the same key. Needs only `fetch` and Web Crypto, and
 * loads nothing of the server.
 */

export type * from './contract';
export { RequestSigner, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './request-signer';
export type { BuildFollowEvent } from './build-events-follower';
export type { RetryOptions } from './retry-policy';
export type { ServerSentEvent } from './server-sent-events';
export { WorkerApiError } from './worker-api.error';
export type { Problem, WorkerErrorCode } from './worker-api.error';
export type * from './client-options';
export { verifyWebhook, WebhookVerificationError } from './webhook-verifier';
export type {
  VerifyWebhookOptions,
  WebhookEvent,
  WebhookHeaders,
  WebhookVerificationFailure,
} from './webhook-verifier';

interface Call extends CallOptions {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path segments, each encoded here. */
  path: string[];
  query?: Record<string, string | number | undefined>;
  body?: object;
  idempotencyKey?: string;
  accept?: string;
  /**
   * Whether a try that got no answer may be sent again: a write only under an Idempotency-Key, or
   * when a repeat does nothing more (a delete, setting the current version, a cancel).
   */
  retryNetworkFailures: boolean;
  /** A delete whose earlier try got no answer and that now finds nothing: the earlier one deleted it. */
  goneAfterNetworkFailureIsDone?: boolean;
}

export function createWorkerClient(options: WorkerClientOptions): WorkerClient {
  return new WorkerClient(options);
}

export class WorkerClient {
  private readonly origin: string;
  private readonly signer: RequestSigner;
  private readonly fetch: typeof fetch;
  private readonly retry: Required<RetryOptions>;

  constructor(options: WorkerClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.pathname !== '/' || base.search !== '' || base.hash !== '') {
      throw new TypeError(`baseUrl must be an origin without a path, e.g. ${base.origin}`);
    }
    this.origin = base.origin;
    this.signer = new RequestSigner(options.secret);
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(this.retry.attempts) || this.retry.attempts < 1) {
      throw new TypeError('retry.attempts must be a whole number, at least 1');
    }
  }

  /** `POST /v1/create-preview-for-new-project`: `201`, or `200` with `deduplicated: true` for a double click without a key. */
  async createPreview(body: CreatePreviewBody, options: WriteOptions = {}): Promise<CreatePreviewResponse> {
    return this.keyedWrite<CreatePreviewResponse>(['v1', 'create-preview-for-new-project'], body, options);
  }

  /** `POST /v1/update-project`: `202`; `409 build_in_progress` (with `buildId`) while a build is queued or running. */
  async updateProject(body: UpdateProjectRequest, options: WriteOptions = {}): Promise<UpdateProjectResponse> {
    return this.keyedWrite<UpdateProjectResponse>(['v1', 'update-project'], body, options);
  }

  /** `GET /v1/projects/:projectId`; `404 project_not_found` unless `userId` owns it. */
  async getProject(projectId: string, { userId, signal }: OwnerOptions): Promise<ProjectResponse> {
    return this.read<ProjectResponse>(['v1', 'projects', projectId], { userId }, signal);
  }

  /** `GET /v1/projects`: newest first; pass `nextCursor` as `cursor` for the next page. */
  async listProjects({ signal, ...query }: ListProjectsQuery & CallOptions): Promise<ProjectListResponse> {
    return this.read<ProjectListResponse>(['v1', 'projects'], query, signal);
  }

  /** `GET /v1/projects/:projectId/versions`: one per successful build, newest first. */
  async getVersions(projectId: string, { userId, signal }: OwnerOptions): Promise<VersionListResponse> {
    return this.read<VersionListResponse>(['v1', 'projects', projectId, 'versions'], { userId }, signal);
  }

  /**
   * `POST /v1/projects/:projectId/current-version`: serves one of the project's versions again (a
   * rollback), with no build and no AI time; answers the project as `getProject` does. Setting a
   * version twice is setting it once, so a try whose answer was lost is sent again (signed anew).
   */
  async setCurrentVersion(
    projectId: string,
    { userId, versionId, signal }: SetCurrentVersionRequest & CallOptions,
  ): Promise<ProjectResponse> {
    return this.json<ProjectResponse>({
      method: 'POST',
      path: ['v1', 'projects', projectId, 'current-version'],
      body: { userId, versionId },
      retryNetworkFailures: true,
      signal,
    });
  }

  /** `GET /v1/builds/:buildId`. */
  async getBuild(buildId: string, { userId, signal }: OwnerOptions): Promise<BuildResponse> {
    return this.read<BuildResponse>(['v1', 'builds', buildId], { userId }, signal);
  }

  /** `GET /v1/builds/:buildId/logs`: a page of the build's log, oldest first; pass `nextCursor` as `after` for the next. */
  async getBuildLogs(
    buildId: string,
    { signal, ...query }: BuildLogsQuery & CallOptions,
  ): Promise<BuildLogPageResponse> {
    return this.read<BuildLogPageResponse>(['v1', 'builds', buildId, 'logs'], query, signal);
  }

  /**
   * `GET /v1/builds/:buildId/events`: the build's current state, then each change of its status or,
   * while queued, of its `queuePosition`, ending after `succeeded`, `failed` or `canceled`; with
   * `logs: true`, tagged events (BuildFollowEvent) that carry the build's log lines too, each status
   * after the lines printed before it. A stream that ends or breaks before that (a deploy, a dropped
   * connection) is reopened after the last line received, and no state or line is yielded twice;
   * after `retry.attempts` reopenings in a row with nothing new, the last failure is thrown. A
   * deleted build is a `404 build_not_found`. Leaving the loop (`break`) or aborting `signal` closes
   * the stream.
   */
  followBuild(
    buildId: string,
    options: OwnerOptions & { logs: true },
  ): AsyncGenerator<BuildFollowEvent, void, undefined>;
  followBuild(
    buildId: string,
    options: OwnerOptions & { logs?: false },
  ): AsyncGenerator<BuildResponse, void, undefined>;
  async *followBuild(
    buildId: string,
    { userId, signal, logs = false }: OwnerOptions & { logs?: boolean },
  ): AsyncGenerator<BuildResponse | BuildFollowEvent, void, undefined> {
    const open = (after: number | undefined) =>
      this.send({
        method: 'GET',
        path: ['v1', 'builds', buildId, 'events'],
        query: { userId, after },
        accept: 'text/event-stream',
        retryNetworkFailures: true,
        signal,
      });
    for await (const event of followBuildEvents(buildId, open, this.retry, signal)) {
      if (logs) yield event;
      else if (event.type === 'status') yield event.build;
    }
  }

  /**
   * `POST /v1/builds/:buildId/cancel`: the build, `canceled` (also when it already was); `409 build_finished` once
   * it succeeded or failed. A second cancel changes nothing, so a try whose answer was lost is sent again.
   */
  async cancelBuild(buildId: string, { userId, signal }: OwnerOptions): Promise<BuildResponse> {
    const body: CancelBuildRequest = { userId };
    const path = ['v1', 'builds', buildId, 'cancel'];
    return this.json<BuildResponse>({ method: 'POST', path, body, retryNetworkFailures: true, signal });
  }

  /** `DELETE /v1/projects/:projectId`: the project, its builds, versions and directory are gone. */
  async deleteProject(projectId: string, { userId, signal }: OwnerOptions): Promise<void> {
    const response = await this.send({
      method: 'DELETE',
      path: ['v1', 'projects', projectId],
      query: { userId },
      retryNetworkFailures: true,
      goneAfterNetworkFailureIsDone: true,
      signal,
    });
    await response.body?.cancel();
  }

  /** `GET /v1/billing/:userId/balance`. */
  async getBalance(userId: string, { signal }: CallOptions = {}): Promise<AiTimeBalanceResponse> {
    return this.read<AiTimeBalanceResponse>(['v1', 'billing', userId, 'balance'], {}, signal);
  }

  /**
   * `POST /v1/billing/:userId/grants`: `201` with the new balance. Under an Idempotency-Key like a
   * create, so a resend after a network failure grants once; pass your own key to make a retry of
   * yours (a payment webhook delivered twice) grant once too.
   */
  async grant(userId: string, body: GrantAiTimeRequest, options: WriteOptions = {}): Promise<AiTimeBalanceResponse> {
    return this.keyedWrite<AiTimeBalanceResponse>(['v1', 'billing', userId, 'grants'], body, options);
  }

  /** `GET /v1/webhooks/deliveries`: every delivery, newest first, with its attempts; pass `nextCursor` as `cursor` for the next page. */
  async listWebhookDeliveries({
    signal,
    ...query
  }: ListWebhookDeliveriesOptions = {}): Promise<WebhookDeliveryListResponse> {
    return this.read<WebhookDeliveryListResponse>(['v1', 'webhooks', 'deliveries'], query, signal);
  }

  /**
   * `POST /v1/webhooks/deliveries/:deliveryId/redeliver`: the delivery, pending and due now (the same `webhook-id`
   * and body); its endpoint back on if a 410 had turned it off. A repeat only makes it due again, and a receiver
   * drops an event it already has, so a try whose answer was lost is sent again.
   */
  async redeliverWebhook(deliveryId: string, { signal }: CallOptions = {}): Promise<WebhookDeliveryResponse> {
    const path = ['v1', 'webhooks', 'deliveries', deliveryId, 'redeliver'];
    return this.json<WebhookDeliveryResponse>({ method: 'POST', path, retryNetworkFailures: true, signal });
  }

  private read<T>(path: string[], query: Call['query'], signal: AbortSignal | undefined): Promise<T> {
    return this.json<T>({ method: 'GET', path, query, retryNetworkFailures: true, signal });
  }

  /** A POST under an Idempotency-Key (the caller's, or a new one), so a resend after a network failure is safe. */
  private keyedWrite<T>(path: string[], body: object, { idempotencyKey, signal }: WriteOptions): Promise<T> {
    // The service reads a header without its surrounding spaces, and a v2 signature covers the key.
    if (idempotencyKey !== undefined && !/^[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?$/.test(idempotencyKey)) {
      throw new TypeError(
        'idempotencyKey must be 1..255 printable ASCII characters, not starting or ending with a space',
      );
    }
    return this.json<T>({
      method: 'POST',
      path,
      body,
      idempotencyKey: idempotencyKey ?? crypto.randomUUID(),
      retryNetworkFailures: true,
      signal,
    });
  }

  private async json<T>(call: Call): Promise<T> {
    const response = await this.send(call);
    return (await response.json()) as T;
  }

  /**
   * Sends `call` until it gets a success, an answer not worth retrying (thrown as WorkerApiError)
   * or runs out of tries. Each try is signed afresh (a retry after a long wait would be stale), and
   * never in the same second as the try before it: the service spends a write's signature, and a keyless
   * try (a delete, a cancel) under the signature its earlier try spent would be refused as a replay, where
   * a try signed anew is judged as itself. The body and the Idempotency-Key stay the same.
   */
  private async send(call: Call): Promise<Response> {
    const url = new URL(call.path.map((segment) => `/${encodeURIComponent(segment)}`).join(''), this.origin);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    // What fetch puts on the request line is the URL's own serialisation: sign exactly that.
    const pathWithQuery = `${url.pathname}${url.search}`;
    const body = call.body === undefined ? '' : JSON.stringify(call.body);
    let unanswered = false;
    let signedAtMs = -Infinity;
    for (let attempt = 1; ; attempt++) {
      signedAtMs = Math.max(Date.now(), (Math.floor(signedAtMs / 1000) + 1) * 1000);
      const signed = { method: call.method, pathWithQuery, body, idempotencyKey: call.idempotencyKey };
      const headers: Record<string, string> = {
        Accept: call.accept ?? 'application/json',
        ...(call.body !== undefined && { 'Content-Type': 'application/json' }),
        ...(call.idempotencyKey !== undefined && { 'Idempotency-Key': call.idempotencyKey }),
        ...(await this.signer.headers(signed, signedAtMs)),
      };
      let response: Response;
      try {
        // no-store: a framework's fetch cache (NextJS) must not answer for the service.
        response = await this.fetch(url.href, {
          method: call.method,
          headers,
          cache: 'no-store',
          signal: call.signal,
          ...(call.body !== undefined && { body }),
        });
      } catch (error) {
        if (call.signal?.aborted || !call.retryNetworkFailures || attempt >= this.retry.attempts) throw error;
        unanswered = true;
        await sleep(retryDelayMs(this.retry, attempt), call.signal);
        continue;
      }
      if (response.ok) return response;
      const error = await WorkerApiError.fromResponse(response);
      if (unanswered && call.goneAfterNetworkFailureIsDone && error.status === 404) {
        return new Response(null, { status: 204 });
      }
      if (!isRetryable(error) || attempt >= this.retry.attempts) throw error;
      await sleep(retryDelayMs(this.retry, attempt, error.retryAfterSeconds), call.signal);
    }
  }
}
