import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { problem, Problem, sendProblem, toProblemResponse } from './problem-details';
import { isSignedRoute } from './request-signature';
import { signatureHeaderFailure } from './signature-precheck';
import { SignatureConfig } from './signature.config';

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook runs (a URL that is not
 * validly percent-encoded). Under /v1 an unsigned caller still learns only that it is unsigned.
 */
export function answerFrameworkError(config: SignatureConfig) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    // No route matched, so the URL's path stands in for it.
    const unsigned = isSignedRoute(request.url.split('?', 1)[0]) ? signatureHeaderFailure(request, config) : undefined;
    sendProblem(reply, toProblemResponse(unsigned ?? error));
  };
}

/** What Node's HTTP server keeps on a socket: the response in flight on it, if any. */
interface HttpSocket extends Duplex {
  _httpMessage?: { _headerSent?: boolean } | null;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request at all
 * (headers too large, a request not received within the request timeout, a malformed request
 * line). There is no reply object, so the answer is written to the socket, which then closes.
 * As Node's own handler does, nothing is written once a response in flight on the socket has sent
 * its head (a preview streaming while a pipelined request overflows): a second status line in the
 * middle of it would corrupt what the client reads.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: HttpSocket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && !socket._httpMessage?._headerSent) {
    const answer = clientErrorProblem(error.code);
    const body = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function clientErrorProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(
        'header_fields_too_large',
        'Request header fields too large',
        'The request headers are too large.',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem('request_timeout', 'Request timeout', 'The request was not received in time.');
    default:
      return problem('validation_failed', 'Bad request', 'The request could not be parsed as HTTP.');
  }
}
