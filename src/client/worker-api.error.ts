import type { ErrorCode, ProblemDetailsDto } from './contract';

/** Every `code` a WorkerApiError can carry: the service's codes, or one for an answer that was not problem+json. */
export type WorkerErrorCode = ErrorCode | 'unexpected_response';

/** An RFC 9457 problem as the service answers every error (`ProblemDetailsDto`), with its extension members. */
export type Problem = Omit<ProblemDetailsDto, 'code'> & {
  readonly code: WorkerErrorCode;
  readonly [extension: string]: unknown;
};

/**
 * An error answer from the service (after any retries): the problem+json fields, the `Retry-After`
 * seconds when it sent one, and the whole problem. An answer that is not problem+json (a proxy's
 * 502 page, say) has code `unexpected_response` and the start of its text as `detail`.
 */
export class WorkerApiError extends Error {
  override readonly name = 'WorkerApiError';
  readonly status: number;
  readonly code: WorkerErrorCode;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Field errors, on `400 validation_failed`. */
  readonly errors?: ProblemDetailsDto['errors'];
  /** On `409 build_in_progress`: the build still queued or running. */
  readonly buildId?: string;
  /** From `Retry-After`, on the answers worth retrying (`409 request_in_progress`, `429`, `503`). */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly problem: Problem,
    retryAfterSeconds?: number,
  ) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    if (problem.errors !== undefined) this.errors = problem.errors;
    if (typeof problem.buildId === 'string') this.buildId = problem.buildId;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Reads an error answer (its body is consumed). */
  static async fromResponse(response: Response): Promise<WorkerApiError> {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    const text = await response.text().catch(() => '');
    const problem = parseProblem(text, response.status);
    return new WorkerApiError(
      problem ?? {
        type: 'about:blank',
        title: response.statusText || 'Unexpected response',
        status: response.status,
        detail: text.slice(0, 500) || `HTTP ${response.status}`,
        code: 'unexpected_response',
      },
      retryAfterSeconds,
    );
  }
}

function parseProblem(text: string, status: number): Problem | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { code, detail, title, type } = parsed as Record<string, unknown>;
  if (typeof code !== 'string' || typeof detail !== 'string') return undefined;
  return {
    ...(parsed as Record<string, unknown>),
    type: typeof type === 'string' ? type : `urn:sheen:problem:${code}`,
    title: typeof title === 'string' ? title : code,
    detail,
    // The status line is what happened; a body claiming another status does not change it.
    status,
    code: code as ErrorCode,
  };
}

/** `Retry-After` as seconds: delta-seconds, or an HTTP date (then the seconds until it). */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
