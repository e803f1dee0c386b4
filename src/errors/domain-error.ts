/** Every stable, machine-readable error code a caller can receive (docs/contract.md, "Errors"). */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'signature_replayed'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'header_fields_too_large'
  | 'project_not_found'
  | 'build_not_found'
  | 'version_not_found'
  | 'version_expired'
  | 'delivery_not_found'
  | 'project_id_conflict'
  | 'build_in_progress'
  | 'build_finished'
  | 'idempotency_key_reused'
  | 'insufficient_ai_time'
  | 'rate_limited'
  | 'request_in_progress'
  | 'database_unavailable'
  | 'service_unavailable'
  | 'internal_error';

/**
 * A failure the caller can act on. Services throw these (never Nest's HTTP exceptions), so the same
 * code serves the HTTP API and the worker; one filter maps `code` to a status and problem+json.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Seconds after which the same request may succeed; sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
  /** RFC 9457 extension members a caller acts on (e.g. the `buildId` still running). */
  readonly extensions?: Readonly<Record<string, string>>;

  constructor(
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = new.target.name;
  }
}
