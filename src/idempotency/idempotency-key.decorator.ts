import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestValidationError } from '../http/request-validation.error';

/** 1..255 printable ASCII characters, as the `idempotency_keys.key` check also demands. */
const VALID_KEY = /^[\x20-\x7E]{1,255}$/;

/**
 * The optional `Idempotency-Key` header; a malformed one is a 400 naming the header. (Node joins a
 * repeated header into one value with ", ", which is then simply a key of its own.)
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && VALID_KEY.test(value)) return value;
  throw new RequestValidationError([
    { field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  ]);
});
