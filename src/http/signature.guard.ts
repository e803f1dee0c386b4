import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit, RawBodyRequest } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IdempotencyConfig } from '../idempotency/idempotency.config';
import { IDEMPOTENCY_KEY_HEADER, isValidIdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { InvalidSignatureError, SignatureReplayedError } from './request-signature.error';
import { RECOMMENDED_SECRET_LENGTH, SignatureConfig } from './signature.config';
import { isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './request-signature';
import { ANSWERS_REPEATED_SIGNATURES, RepeatsAnswered } from './repeated-signature.decorator';
import { FirstUse, SpentSignatures } from './spent-signatures.service';
import { rememberFirstSpend } from './unused-signatures';

/** Methods that change nothing: their signatures are not spent, so a read may be repeated. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Refuses a /v1 request whose signature does not verify, before any pipe or handler runs, so a
 * refused request writes nothing. The route is judged by the route Fastify matched, not by the
 * URL text, so no spelling of a path reaches a /v1 handler unsigned.
 *
 * A write then spends its signature (ADR 030): the same signature again is `401
 * signature_replayed`, in any API process, unless it is a repeat the contract answers without a
 * second effect (on a route marked @AnswersRepeatedSignatures): under the same Idempotency-Key (a
 * race, or a retry of the same bytes), or, without a key, a create inside the dedupe window (a
 * double-click). A first use that fails gives its signature back (unused-signatures.ts).
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
    if (firstUse === undefined) {
      rememberFirstSpend(request, mac);
      return true;
    }
    if (!this.isAnsweredRepeat(firstUse, idempotencyKey, context)) throw new SignatureReplayedError();
    return true;
  }

  private isAnsweredRepeat(firstUse: FirstUse, idempotencyKey: string | undefined, context: ExecutionContext): boolean {
    const answered = this.reflector.get<RepeatsAnswered | undefined>(ANSWERS_REPEATED_SIGNATURES, context.getHandler());
    if (answered === undefined) return false;
    if (idempotencyKey !== undefined) return firstUse.idempotencyKey === idempotencyKey;
    return (
      answered.keylessInsideDedupeWindow === true &&
      firstUse.idempotencyKey === undefined &&
      this.idempotency.dedupeWindowMs > 0 &&
      firstUse.ageMs < this.idempotency.dedupeWindowMs
    );
  }
}
