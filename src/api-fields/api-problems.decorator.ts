import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from '../errors/domain-error';
import { PROBLEM_STATUS } from '../errors/problem-status';

/** Codes whose answers carry `Retry-After`: the same request may succeed after that many seconds. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'request_in_progress',
  'rate_limited',
  'database_unavailable',
  'service_unavailable',
]);

/** Lists, in the OpenAPI document, the problem responses a route can give, grouped by status. */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, 'internal_error' as const]) {
    const status = PROBLEM_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: `application/problem+json with code ${statusCodes.map((c) => `\`${c}\``).join(' or ')}`,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
        ...(statusCodes.some((code) => RETRYABLE.has(code)) && {
          headers: {
            'Retry-After': {
              description: `Seconds to wait before retrying the same request (with ${statusCodes
                .filter((code) => RETRYABLE.has(code))
                .map((code) => `\`${code}\``)
                .join(', ')})`,
              schema: { type: 'integer', example: 1 },
            },
          },
        }),
      }),
    ),
  );
}
