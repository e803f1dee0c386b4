import { DatabaseError } from 'pg';
import { InsufficientAiTimeError } from '../billing/billing.errors';
import { BuildInProgressError } from '../builds/builds.errors';
import { DomainError } from '../errors/domain-error';
import { SignatureReplayedError } from '../http/request-signature.error';
import { IdempotencyKeyReusedError } from '../idempotency/idempotency.errors';
import { ProjectIdConflictError, ProjectNotFoundError } from '../projects/projects.errors';
import { RateLimitedError } from '../rate-limits/rate-limits.errors';

/**
 * Why create_project or update_project (migrations BuildRequestFunctions, AiTimeReservations,
 * SignatureSpentByCreate) started nothing.
 */
type Refusal =
  | {
      answer: 'refused';
      code: 'idempotency_key_reused' | 'project_id_conflict' | 'project_not_found' | 'signature_replayed';
    }
  | { answer: 'refused'; code: 'insufficient_ai_time'; secondsAvailable: number; secondsNeeded: number }
  | { answer: 'refused'; code: 'rate_limited'; retryAfterMs: number }
  | { answer: 'refused'; code: 'build_in_progress'; buildId: string };

/**
 * What create_project and update_project answer through build_request_settled (migration
 * BuildRequestSettled): a build started or a stored answer. A refusal fails the statement instead.
 */
export type BuildRequestAnswer<Body> =
  | { answer: 'created'; body: Body }
  | { answer: 'replay'; status: number; body: Body }
  | { answer: 'dedupe'; body: Body };

/** `build_request_settled(<call>)`: the call's answer, its refusal raised so the statement rolls back. */
export function settledCall(call: string): string {
  return `build_request_settled(${call})`;
}

/** The SQLSTATE build_request_settled raises a refusal with; the answer is its DETAIL. */
const REFUSED_SQLSTATE = 'SR001';

/** What a failed build request is answered with: its refusal's domain error, or the failure itself. */
export function failureAnswer(error: unknown, request: { projectId: string; perMinute: number }): unknown {
  if (!(error instanceof DatabaseError) || error.code !== REFUSED_SQLSTATE || error.detail === undefined) return error;
  return refusalError(JSON.parse(error.detail) as Refusal, request);
}

/** The domain error a refusal is answered with. */
function refusalError(refusal: Refusal, request: { projectId: string; perMinute: number }): DomainError {
  switch (refusal.code) {
    case 'idempotency_key_reused':
      return new IdempotencyKeyReusedError();
    case 'insufficient_ai_time':
      return new InsufficientAiTimeError(refusal.secondsAvailable, refusal.secondsNeeded);
    case 'rate_limited':
      return new RateLimitedError(request.perMinute, refusal.retryAfterMs);
    case 'project_id_conflict':
      return new ProjectIdConflictError(request.projectId);
    case 'project_not_found':
      return new ProjectNotFoundError(request.projectId);
    case 'signature_replayed':
      return new SignatureReplayedError();
    case 'build_in_progress':
      return new BuildInProgressError(refusal.buildId);
    default:
      throw new Error(`the database refused with an unknown code: ${JSON.stringify(refusal)}`);
  }
}
