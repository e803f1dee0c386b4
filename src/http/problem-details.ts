import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { toDatabaseDomainError } from '../database/database.errors';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { FieldError, RequestValidationError } from '../errors/request-validation.error';
import { codeForStatus, PROBLEM_STATUS } from '../errors/problem-status';

/** An RFC 9457 problem, as every error response carries it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  /** Extension members (RFC 9457), e.g. `buildId` on `build_in_progress`. */
  [extension: string]: unknown;
}

interface ProblemResponse {
  problem: Problem;
  retryAfterSeconds?: number;
}

const logger = new Logger('Problems');

const TITLES: Partial<Record<ErrorCode, string>> = {
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  validation_failed: 'Invalid request',
  unauthorized: 'Unauthorized',
  rate_limited: 'Too many requests',
  service_unavailable: 'Service unavailable',
};

export function problem(code: ErrorCode, title: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `urn:sheen:problem:${code}`,
    title,
    status: PROBLEM_STATUS[code],
    detail,
    code,
    ...(errors && { errors }),
  };
}

/**
 * Turns anything thrown while serving a request into the problem to answer with. Unknown errors
 * are logged in full here and answered with a fixed text: no stack, SQL or path leaves the server.
 */
export function toProblemResponse(error: unknown): ProblemResponse {
  const domainError = error instanceof DomainError ? error : toDatabaseDomainError(error);
  if (domainError) {
    const errors = domainError instanceof RequestValidationError ? domainError.errors : undefined;
    return {
      problem: {
        ...domainError.extensions,
        ...problem(domainError.code, domainError.title, domainError.detail, errors),
      },
      retryAfterSeconds: domainError.retryAfterSeconds,
    };
  }
  const status = statusOf(error);
  if (status !== undefined && status < 500) {
    const code = codeForStatus(status);
    const detail = error instanceof Error ? error.message : 'The request was not understood.';
    // A 400 from the framework (malformed JSON, an empty body) concerns the body as a whole.
    const errors = status === 400 ? [{ field: '', message: detail }] : undefined;
    return { problem: { ...problem(code, TITLES[code] ?? 'Bad request', detail, errors), status } };
  }
  if (status === 503) {
    return {
      problem: problem('service_unavailable', TITLES.service_unavailable!, 'Not ready to serve requests.'),
      retryAfterSeconds: 5,
    };
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { problem: problem('internal_error', 'Internal server error', 'An unexpected error occurred.') };
}

/**
 * Nest's HttpException and Fastify's own errors (body parsing, limits; codes `FST_*`) carry a status
 * and a message meant for the caller. Any other error's message stays on the server.
 */
function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const fromFastify = typeof code === 'string' && code.startsWith('FST_');
  return fromFastify && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600
    ? statusCode
    : undefined;
}

export function sendProblem(reply: FastifyReply, { problem, retryAfterSeconds }: ProblemResponse): void {
  if (retryAfterSeconds !== undefined) void reply.header('Retry-After', String(retryAfterSeconds));
  void reply.status(problem.status).header('Content-Type', 'application/problem+json').send(problem);
}
