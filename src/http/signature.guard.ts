import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit, RawBodyRequest } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IdempotencyConfig } from '../idempotency/idempotency.config';
import { IDEMPOTENCY_KEY_HEADER, isValidIdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { KEYLESS_DEDUPE } from '../idempotency/keyless-dedupe.decorator';
import { InvalidSignatureError, SignatureReplayedError } from './request-signature.error';
import { RECOMMENDED_SECRET_LENGTH, SignatureConfig } from './signature.config';
import { isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './request-signature';
import { FirstUse, SpentSignatures } from './spent-signatures.service';

/** Methods that change nothing: their signatures are not spent, so a read may be repeated. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Refuses a /v1 request whose signature does not verify, before any pipe or handler runs, so a
 * refused request writes nothing. The route is judged by the route Fastify matched, not by the
 * URL text, so no spelling of a path reaches a /v1 handler unsigned.
 *
 * A write then spends its signature (ADR 030): the same signature again is `401
 * signature_replayed`, in any API process, unless it is a repeat the contract answers without
 * acting again: the same Idempotency-Key (its stored answer is replayed), or, without a key, a
 * create inside the dedupe window (the first project is returned).
 */
@Injectable()
export class SignatureGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('RequestSigning');

  constructor(
    private readonly config: SignatureConfig,
    private readonly idempotency: IdempotencyConfig,
    private readonly spentSignatures: SpentSignatures,
    private readonly reflector: Reflector,
  ) {}

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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http' || this.config.secrets.length === 0) return true;
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    if (!isSignedRoute(request.routeOptions.url)) return true;

    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    const verification = verifySignature(
      this.config.secrets,
      {
        timestamp: request.headers[TIMESTAMP_HEADER.toLowerCase()],
        signature: request.headers[SIGNATURE_HEADER.toLowerCase()],
      },
      {
        method: request.method,
        pathWithQuery: request.url,
        body: request.rawBody,
        idempotencyKey: typeof header === 'string' ? header : undefined,
      },
      Date.now() / 1000,
    );
    if (!verification.valid) throw new InvalidSignatureError(verification.failure);
    if (READ_METHODS.has(request.method)) return true;

    // A malformed key is the handler's 400 to give; here it stands for no key.
    const idempotencyKey = isValidIdempotencyKey(header) ? header : undefined;
    const { mac, timestamp } = verification;
    const firstUse = await this.spentSignatures.spend({ mac, timestamp, idempotencyKey });
    if (firstUse && !this.isAnsweredRepeat(firstUse, idempotencyKey, context)) throw new SignatureReplayedError();
    return true;
  }

  private isAnsweredRepeat(firstUse: FirstUse, idempotencyKey: string | undefined, context: ExecutionContext): boolean {
    if (idempotencyKey !== undefined) return firstUse.idempotencyKey === idempotencyKey;
    return (
      firstUse.idempotencyKey === undefined &&
      firstUse.ageMs < this.idempotency.dedupeWindowMs &&
      this.reflector.get<boolean>(KEYLESS_DEDUPE, context.getHandler()) === true
    );
  }
}
