import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit, RawBodyRequest } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_HEADER, isValidIdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { InvalidSignatureError, SignatureReplayedError } from './request-signature.error';
import { RECOMMENDED_SECRET_LENGTH, SignatureConfig } from './signature.config';
import { isSignedRoute, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './request-signature';
import { ANSWERS_REPEATED_SIGNATURES, SPENDS_ITS_OWN_SIGNATURE } from './repeated-signature.decorator';
import { SignatureToSpend, signatureToSpend, SpentSignaturesService } from './spent-signatures.service';
import { handOverSignature } from './unspent-signature.decorator';
import { rememberFirstSpend } from './unused-signatures';

/** Methods that change nothing: their signatures are not spent, so a read may be repeated. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Refuses a /v1 request whose signature does not verify, before any pipe or handler runs, so a
 * refused request writes nothing. The route is judged by the route Fastify matched, not by the
 * URL text, so no spelling of a path reaches a /v1 handler unsigned.
 *
 * A write then spends its signature (ADR 030): the same signature again is `401
 * signature_replayed`, in any API process, unless it is a repeat docs/contract.md answers without a
 * second effect: under the same Idempotency-Key on a route marked @AnswersRepeatedSignatures (a
 * race, or a retry of the same bytes). A first use that fails gives its signature back
 * (unused-signatures.ts). A route marked @SpendsItsOwnSignature (the create) is handed the
 * signature to spend in its own statement instead (ADR 031).
 */
@Injectable()
export class SignatureGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('RequestSigning');

  constructor(
    private readonly config: SignatureConfig,
    private readonly spentSignatures: SpentSignaturesService,
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

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
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

    const signature = signatureToSpend(verification.mac, verification.timestamp);
    const handler = context.getHandler();
    if (this.reflector.get<boolean | undefined>(SPENDS_ITS_OWN_SIGNATURE, handler)) {
      handOverSignature(request, signature);
      return true;
    }
    // A malformed key is the handler's 400 to give; here it stands for no key.
    const idempotencyKey = isValidIdempotencyKey(header) ? header : undefined;
    const answersKeyedRepeats = this.reflector.get<boolean | undefined>(ANSWERS_REPEATED_SIGNATURES, handler) === true;
    return this.spend(request, signature, idempotencyKey, answersKeyedRepeats);
  }

  private async spend(
    request: FastifyRequest,
    signature: SignatureToSpend,
    idempotencyKey: string | undefined,
    answersKeyedRepeats: boolean,
  ): Promise<boolean> {
    const verdict = await this.spentSignatures.spend(signature, idempotencyKey, answersKeyedRepeats);
    if (verdict === 'replayed') throw new SignatureReplayedError();
    if (verdict === 'first') rememberFirstSpend(request, signature.mac);
    return true;
  }
}
