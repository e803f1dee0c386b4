import { ErrorCode } from './domain-error';

/** The one mapping from error code to HTTP status. */
export const PROBLEM_STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  signature_replayed: 401,
  insufficient_ai_time: 402,
  not_found: 404,
  project_not_found: 404,
  build_not_found: 404,
  version_not_found: 404,
  delivery_not_found: 404,
  version_expired: 410,
  method_not_allowed: 405,
  request_timeout: 408,
  project_id_conflict: 409,
  build_in_progress: 409,
  build_finished: 409,
  request_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  header_fields_too_large: 431,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  database_unavailable: 503,
  service_unavailable: 503,
};

/** For errors that carry only a status (Nest's and Fastify's own), the code that status stands for. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'service_unavailable';
    default:
      return status >= 400 && status < 500 ? 'validation_failed' : 'internal_error';
  }
}
