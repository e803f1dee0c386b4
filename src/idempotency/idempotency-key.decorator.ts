import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestValidationError } from '../errors/request-validation.error';

/** 1..255 printable ASCII characters, as the `idempotency_keys.key` check also demands. */
const VALID_KEY = /^[\x20-\x7E]{1,255}$/;

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export function isValidIdempotencyKey(value: string | string[] | undefined): value is string {
  return typeof value === 'string' && VALID_KEY.test(value);
}

/**
 * The optional `Idempotency-Key` header; a malformed one is a 400 naming the header. (Node joins a
 * repeated header into one value with ", ", which is then simply a key of its own.)
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (isValidIdempotencyKey(value)) return value;
  throw new RequestValidationError([
    { field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  ]);
});
