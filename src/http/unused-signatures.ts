import type { FastifyInstance } from 'fastify';
import type { SpentSignaturesService } from './spent-signatures.service';

/** The signature each write in flight spent first (SignatureGuard), by request. */
const FIRST_SPENDS = new WeakMap<object, Buffer>();

/** Remembers that `request` is the first use of `mac`, to give it back should the write fail. */
export function rememberFirstSpend(request: object, mac: Buffer): void {
  FIRST_SPENDS.set(request, mac);
}

/**
 * Gives back the signature of a write that failed (ADR 030). A write answered with an error (its
 * validation, a refusal, a rolled-back transaction) acted on nothing, so the very same bytes sent
 * again are judged as new: a signature buys one effect, not one attempt, and a caller that resends
 * the same request after a `503`, as docs/contract.md tells it to, is not taken for a replay. It is
 * given back before the answer is sent, so a resend never finds it still spent; should that fail,
 * it stays spent, the safe way round.
 */
export function giveBackUnusedSignatures(fastify: FastifyInstance, spentSignatures: SpentSignaturesService): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const mac = reply.statusCode >= 400 ? FIRST_SPENDS.get(request) : undefined;
    if (mac === undefined) return done(null, payload);
    FIRST_SPENDS.delete(request);
    spentSignatures.giveBack(mac).then(
      () => done(null, payload),
      (error: unknown) => {
        request.log.warn(`a failed write's signature could not be given back: ${(error as Error).message}`);
        done(null, payload);
      },
    );
  });
}
