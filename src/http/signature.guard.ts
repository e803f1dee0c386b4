import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit, RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidSignatureError } from './request-signature.error';
import { RECOMMENDED_SECRET_LENGTH, SignatureConfig } from './signature.config';
import { isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './request-signature';

/**
 * Refuses a /v1 request whose signature does not verify, before any pipe or handler runs, so a
 * refused request writes nothing. The route is judged by the route Fastify matched, not by the
 * URL text, so no spelling of a path reaches a /v1 handler unsigned.
 */
@Injectable()
export class SignatureGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('RequestSigning');

  constructor(private readonly config: SignatureConfig) {}

  onModuleInit(): void {
    if (this.config.secrets.length === 0) {
      this.logger.warn(
        'WORKER_SHARED_SECRET is not set: /v1 requests are NOT authenticated. Set it (required with NODE_ENV=production).',
      );
    } else if (this.config.secrets.some((secret) => secret.length < RECOMMENDED_SECRET_LENGTH)) {
      this.logger.warn(
        `a WORKER_SHARED_SECRET is shorter than ${RECOMMENDED_SECRET_LENGTH} characters: use a longer one`,
      );
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || this.config.secrets.length === 0) return true;
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    if (!isSignedRoute(request.routeOptions.url)) return true;

    const verification = verifySignature(
      this.config.secrets,
      {
        timestamp: request.headers[TIMESTAMP_HEADER.toLowerCase()],
        signature: request.headers[SIGNATURE_HEADER.toLowerCase()],
      },
      { method: request.method, pathWithQuery: request.url, body: request.rawBody },
      Date.now() / 1000,
    );
    if (!verification.valid) throw new InvalidSignatureError(verification.failure);
    return true;
  }
}
