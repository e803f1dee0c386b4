import { DomainError } from '../errors/domain-error';

export class DatabaseUnavailableError extends DomainError {
  readonly code = 'database_unavailable';
  override readonly retryAfterSeconds = 5;

  constructor() {
    super('Database unavailable', 'The database cannot be reached right now; retry shortly.');
  }
}

export class RequestInProgressError extends DomainError {
  readonly code = 'request_in_progress';
  override readonly retryAfterSeconds = 1;

  constructor() {
    super(
      'Request in progress',
      'Another request for the same user is still being processed; retry shortly with the same body.',
    );
  }
}

/**
 * SQLSTATEs that mean "the server is gone, refusing or overloaded right now", not "the query is
 * wrong": shutdown, too many connections, connection failures, and the transient outcomes a retry
 * of the whole request resolves (statement timeout, deadlock, serialization failure).
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57014',
  '40P01',
  '40001',
]);
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
];
/** lock_not_available: our bounded wait for another request's advisory lock ran out. */
const LOCK_TIMEOUT_SQLSTATE = '55P03';

/**
 * Turns a raw driver failure into the domain error a caller can act on, or returns undefined for
 * failures that are bugs (they become a 500). TypeORM wraps driver errors, so both layers are read.
 */
export function toDatabaseDomainError(error: unknown): DomainError | undefined {
  for (const candidate of [error, (error as { driverError?: unknown } | null)?.driverError]) {
    // Duck-typed: errors raised inside node:net may come from another realm than our Error.
    if (typeof candidate !== 'object' || candidate === null) continue;
    const { code, message } = candidate as { code?: unknown; message?: unknown };
    if (code === LOCK_TIMEOUT_SQLSTATE) return new RequestInProgressError();
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) {
      return new DatabaseUnavailableError();
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((known) => message.includes(known))) {
      return new DatabaseUnavailableError();
    }
  }
  return undefined;
}
