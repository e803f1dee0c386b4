import type { FastifyReply } from 'fastify';
import { RequestOutcome } from './request-outcome';

/** Sets the outcome's status (and `Idempotent-Replayed` on a replay) and gives the body to send. */
export function replyWithOutcome<Body>(reply: FastifyReply, outcome: RequestOutcome<Body>): Body {
  void reply.status(outcome.status);
  if (outcome.replayed) void reply.header('Idempotent-Replayed', 'true');
  return outcome.body;
}
