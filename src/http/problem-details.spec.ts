import {
  BadRequestException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { InsufficientAiTimeError } from '../billing/billing.errors';
import { BuildFinishedError } from '../builds/builds.errors';
import { DatabaseUnavailableError, RequestInProgressError } from '../database/database.errors';
import { DomainError } from '../errors/domain-error';
import { ProjectIdConflictError } from '../projects/projects.errors';
import { toProblemResponse } from './problem-details';
import { LISTED_FIELD_ERRORS, RequestValidationError } from '../errors/request-validation.error';

class BuildInProgressTestError extends DomainError {
  readonly code = 'build_in_progress';
  override readonly retryAfterSeconds = 7;

  constructor() {
    super('Build in progress', 'Build 01JDRZ8Q4XK8V1N9E6W3T2Y5B6 is still running.');
  }
}

const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type'];

/** A driver error as pg raises it: a DatabaseError carrying a SQLSTATE. */
function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 5432,
  });
}

/** The three ways a driver error reaches the filter: bare, inside QueryFailedError, inside `{ driverError }`. */
function wrappings(driverError: Error): [string, unknown][] {
  return [
    ['bare', driverError],
    ['in a TypeORM QueryFailedError', new QueryFailedError('SELECT * FROM projects WHERE id = $1', ['x'], driverError)],
    ['in an Error with only driverError', Object.assign(new Error('query failed'), { driverError })],
    ['in a plain { driverError } object', { driverError }],
  ];
}

describe('toProblemResponse', () => {
  let logged: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  describe('domain errors', () => {
    it('keep their code, title, detail and Retry-After, with the status their code maps to', () => {
      const response = toProblemResponse(new BuildInProgressTestError());

      expect(response).toEqual({
        problem: {
          type: 'urn:sheen:problem:build_in_progress',
          title: 'Build in progress',
          status: 409,
          detail: 'Build 01JDRZ8Q4XK8V1N9E6W3T2Y5B6 is still running.',
          code: 'build_in_progress',
        },
        retryAfterSeconds: 7,
      });
    });

    it.each<[string, DomainError, number, string]>([
      [
        'ProjectIdConflictError',
        new ProjectIdConflictError('0b6c9a4e-3f1d-4a7b-8c2e-5d6f7a8b9c0d'),
        409,
        'project_id_conflict',
      ],
      ['InsufficientAiTimeError', new InsufficientAiTimeError(0, 600), 402, 'insufficient_ai_time'],
      ['BuildFinishedError', new BuildFinishedError('01JDRZ8Q4XK8V1N9E6W3T2Y5B6', 'succeeded'), 409, 'build_finished'],
    ])('%s → %i %s, with no Retry-After', (_name, error, status, code) => {
      const { problem, retryAfterSeconds } = toProblemResponse(error);

      expect(Object.keys(problem).sort()).toEqual(PROBLEM_KEYS);
      expect(problem).toEqual({
        type: `urn:sheen:problem:${code}`,
        title: error.title,
        status,
        detail: error.detail,
        code,
      });
      expect(retryAfterSeconds).toBeUndefined();
    });

    it('carry the field errors of a validation failure', () => {
      const errors = [
        { field: 'prompt', message: 'prompt must be 1 to 20000 characters long' },
        { field: 'userId', message: 'userId must be a UUID' },
      ];
      const { problem } = toProblemResponse(new RequestValidationError(errors));

      expect(problem).toMatchObject({ status: 400, code: 'validation_failed', errors });
      expect(problem.detail).toContain('prompt: prompt must be 1 to 20000 characters long');
      expect(problem.detail).toContain('userId: userId must be a UUID');
    });

    it('list the first field errors of a validation failure and count the rest', () => {
      const errors = Array.from({ length: LISTED_FIELD_ERRORS + 5 }, (_, index) => ({
        field: `k${index}`,
        message: `property k${index} should not exist`,
      }));
      const { problem } = toProblemResponse(new RequestValidationError(errors));

      expect(problem.errors).toEqual(errors.slice(0, LISTED_FIELD_ERRORS));
      expect(problem.detail).toContain(`k${LISTED_FIELD_ERRORS - 1}: property`);
      expect(problem.detail).not.toContain(`k${LISTED_FIELD_ERRORS}:`);
      expect(problem.detail).toMatch(/; and 5 more$/);
    });

    it('are not logged as failures', () => {
      toProblemResponse(new BuildInProgressTestError());
      expect(logged).not.toHaveBeenCalled();
    });
  });

  describe('unknown errors', () => {
    const SECRET_SQL = 'SELECT * FROM projects WHERE owner_id = $1';
    const SECRET_PATH = '/work/main/src/x.ts';

    function leakyError(): Error {
      const error = new Error(`relation missing in ${SECRET_SQL} (at ${SECRET_PATH}:12:7)`);
      error.stack = `Error: ${error.message}\n    at run (${SECRET_PATH}:12:7)\n    at Object.<anonymous> (/work/main/node_modules/typeorm/index.js:1:1)`;
      return error;
    }

    it.each<[string, () => unknown]>([
      ['an Error whose message holds SQL and a path', leakyError],
      ['a thrown string', () => `${SECRET_SQL} failed in ${SECRET_PATH}`],
      ['a plain object', () => ({ message: SECRET_SQL, stack: SECRET_PATH })],
      ['an Error with a 5xx statusCode', () => Object.assign(leakyError(), { statusCode: 500 })],
      ['a Nest InternalServerErrorException', () => new InternalServerErrorException(`${SECRET_SQL} ${SECRET_PATH}`)],
      ['a unique violation from PostgreSQL', () => pgError('23505', `duplicate key in ${SECRET_SQL} ${SECRET_PATH}`)],
      [
        'a QueryFailedError of a bug',
        () => new QueryFailedError(SECRET_SQL, ['x'], pgError('42703', `column "x" does not exist ${SECRET_PATH}`)),
      ],
      ['undefined', () => undefined],
      ['null', () => null],
    ])('%s → 500 internal_error with a fixed text and no stack, SQL or path', (_what, makeError) => {
      const response = toProblemResponse(makeError());

      expect(response.problem).toEqual({
        type: 'urn:sheen:problem:internal_error',
        title: 'Internal server error',
        status: 500,
        detail: 'An unexpected error occurred.',
        code: 'internal_error',
      });
      expect(response.retryAfterSeconds).toBeUndefined();
      const json = JSON.stringify(response);
      for (const secret of ['SELECT', 'projects', '/work/main', 'x.ts', 'node_modules', '    at ', 'duplicate key'])
        expect(json).not.toContain(secret);
    });

    it('are logged in full on the server, since the response says nothing', () => {
      toProblemResponse(leakyError());

      expect(logged).toHaveBeenCalledTimes(1);
      expect(String(logged.mock.calls[0][0])).toContain(SECRET_PATH);
    });
  });

  describe('database failures', () => {
    const unavailable: [string, Error][] = [
      ['ECONNREFUSED', connectionRefused()],
      ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
      ['SQLSTATE 57P01 (admin shutdown)', pgError('57P01', 'terminating connection due to administrator command')],
      ['SQLSTATE 53300 (too many connections)', pgError('53300', 'sorry, too many clients already')],
      ['SQLSTATE 08006 (connection failure)', pgError('08006', 'connection failure')],
      ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ];

    it.each(
      unavailable.flatMap(([what, driverError]) =>
        wrappings(driverError).map(([how, error]): [string, string, unknown] => [what, how, error]),
      ),
    )('%s, %s → 503 database_unavailable with Retry-After', (_what, _how, error) => {
      const { problem, retryAfterSeconds } = toProblemResponse(error);

      expect(Object.keys(problem).sort()).toEqual(PROBLEM_KEYS);
      expect(problem).toMatchObject({
        type: 'urn:sheen:problem:database_unavailable',
        status: 503,
        code: 'database_unavailable',
      });
      expect(Number.isInteger(retryAfterSeconds)).toBe(true);
      expect(retryAfterSeconds).toBeGreaterThan(0);
      const json = JSON.stringify(problem);
      expect(json).not.toContain('127.0.0.1');
      expect(json).not.toContain('SELECT');
    });

    it('answers with the same problem as DatabaseUnavailableError itself', () => {
      expect(toProblemResponse(connectionRefused())).toEqual(toProblemResponse(new DatabaseUnavailableError()));
    });

    it.each(wrappings(pgError('55P03', 'canceling statement due to lock timeout')))(
      'SQLSTATE 55P03 (lock timeout), %s → 409 request_in_progress with Retry-After',
      (_how, error) => {
        const response = toProblemResponse(error);

        expect(response.problem).toMatchObject({
          type: 'urn:sheen:problem:request_in_progress',
          status: 409,
          code: 'request_in_progress',
        });
        expect(response.retryAfterSeconds).toBeGreaterThan(0);
        expect(response).toEqual(toProblemResponse(new RequestInProgressError()));
      },
    );
  });

  describe('errors that carry only an HTTP status', () => {
    it("maps Nest's NotFoundException to 404 not_found", () => {
      const { problem, retryAfterSeconds } = toProblemResponse(new NotFoundException('Cannot POST /v1/nope'));

      expect(problem).toEqual({
        type: 'urn:sheen:problem:not_found',
        title: 'Not found',
        status: 404,
        detail: 'Cannot POST /v1/nope',
        code: 'not_found',
      });
      expect(retryAfterSeconds).toBeUndefined();
    });

    it("keeps the message of an error that carries a status but is not Fastify's or Nest's on the server", () => {
      const { problem } = toProblemResponse(
        Object.assign(new Error('secret detail /work/main/src/x.ts'), { statusCode: 409 }),
      );

      expect(problem).toMatchObject({ status: 500, code: 'internal_error', detail: 'An unexpected error occurred.' });
    });

    it.each<[string, unknown]>([
      [
        "Fastify's body-too-large error",
        Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
      ],
    ])('maps %s with statusCode 413 to payload_too_large', (_what, error) => {
      const { problem } = toProblemResponse(error);

      expect(Object.keys(problem).sort()).toEqual(PROBLEM_KEYS);
      expect(problem).toMatchObject({
        type: 'urn:sheen:problem:payload_too_large',
        title: 'Payload too large',
        status: 413,
        code: 'payload_too_large',
      });
      expect(problem.detail).not.toBe('');
    });

    it.each([
      [415, 'unsupported_media_type'],
      [405, 'method_not_allowed'],
      [401, 'unauthorized'],
      [429, 'rate_limited'],
    ])('maps statusCode %i to %s', (status, code) => {
      const { problem } = toProblemResponse(
        Object.assign(new Error('refused'), { statusCode: status, code: 'FST_ERR_TEST' }),
      );

      expect(problem).toMatchObject({ type: `urn:sheen:problem:${code}`, status, code, detail: 'refused' });
    });

    it('maps a ServiceUnavailableException (terminus) to service_unavailable with Retry-After and a fixed text', () => {
      const response = toProblemResponse(new ServiceUnavailableException('pool /work/main/x.ts drained'));

      expect(response.problem).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(response.problem.detail).not.toContain('/work/main');
      expect(response.retryAfterSeconds).toBeGreaterThan(0);
    });

    it.each<[string, unknown]>([
      [
        "Fastify's malformed-JSON error",
        Object.assign(new SyntaxError('Unexpected end of JSON input'), {
          statusCode: 400,
          code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        }),
      ],
      ["Nest's BadRequestException", new BadRequestException('Bad request')],
    ])('maps %s to 400 validation_failed with an errors entry for the body as a whole', (_what, error) => {
      const { problem } = toProblemResponse(error);

      expect(problem).toMatchObject({
        type: 'urn:sheen:problem:validation_failed',
        status: 400,
        code: 'validation_failed',
      });
      // docs/contract.md: `errors` lists field errors for 400; '' names the body as a whole.
      expect(problem.errors).toEqual([{ field: '', message: expect.any(String) }]);
    });
  });
});
