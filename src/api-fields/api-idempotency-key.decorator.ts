import { ApiHeader } from '@nestjs/swagger';

/**
 * Documents a write's optional `Idempotency-Key` header (OpenAPI); `replayedWith` says what else a
 * replay does, as " and nothing more is granted".
 */
export function ApiIdempotencyKey(example: string, replayedWith = ''): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: `Send the same key (1..255 printable ASCII) when retrying: the first response is replayed with \`Idempotent-Replayed: true\`${replayedWith}. The same key with another body is 422.`,
    example,
  });
}
