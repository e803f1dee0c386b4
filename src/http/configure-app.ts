import { NestApplicationOptions, RawBodyRequest } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_LOGGER } from '../logging/logging.tokens';
import { useStructuredLogs } from '../logging/logging.module';
import { logRequests } from '../logging/request-logging';
import { traceRequests } from '../telemetry/request-tracing';
import { answerClientError, answerFrameworkError } from './framework-errors';
import { jsonNestsDeeperThan, JsonTooDeepError } from './json-depth';
import { runHandlersInScopes } from './request-scope';
import { registerSignaturePrecheck } from './signature-precheck';
import { SpentSignaturesService } from './spent-signatures.service';
import { giveBackUnusedSignatures } from './unused-signatures';
import { SignatureConfig } from './signature.config';
import {
  browserFunction,
  BROWSER_REQUEST_SIGNER,
  requireSignatures,
  SECURITY_SCHEME,
  SECURITY_SCHEME_DESCRIPTION,
  SWAGGER_SECRET_HEADER,
} from './swagger-request-signing';

/** Bodies above this are refused with 413 before they are read further. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * A request must arrive whole (headers and body) within this, or it is answered 408 and its
 * connection closed: a client that trickles its body cannot hold a connection open. Node checks
 * every `connectionsCheckingInterval`, so the answer comes up to that much later.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Headers must arrive within this; Node enforces neither timeout unless this is below REQUEST_TIMEOUT_MS. */
export const HEADERS_TIMEOUT_MS = 5000;

/**
 * A connection on which no byte moves either way for this long is closed (Node looks once more if
 * its last write was still moving, so within twice this). Without it a client that stops reading
 * an answer (a large preview file) held the connection and the open file for as long as it liked,
 * and enough such clients used up the process's file descriptors. An event stream sends a comment
 * every 15 s, so a live one never idles this long.
 */
export const SOCKET_IDLE_TIMEOUT_MS = 20_000;

/** Deeper JSON is refused (400) before it is parsed: no request body of ours nests more than 3 levels. */
export const MAX_JSON_DEPTH = 32;

/** Nest's own body parsers are off: they would add a form-urlencoded parser. */
export const APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/**
 * On close, idle keep-alive connections are closed at once and requests in flight are answered
 * (never cut, as `forceCloseConnections: true` would); see closeHttpListener and KeepAliveDrainService.
 * What Fastify and Node refuse before any route runs is problem+json too (framework-errors.ts).
 */
export function createFastifyAdapter(signature: SignatureConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: 'idle',
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: SOCKET_IDLE_TIMEOUT_MS,
    http: { connectionsCheckingInterval: 1000, headersTimeout: HEADERS_TIMEOUT_MS },
    frameworkErrors: answerFrameworkError(signature),
    clientErrorHandler: answerClientError,
  });
}

/**
 * What Nest's modules cannot express: structured logs, a trace span per request, JSON as the only body type (anything else is a 415), its raw
 * bytes kept for the signature check, and the docs. Fastify's own failures (malformed JSON, too
 * large) reach the global ProblemDetailsFilter.
 */
export function configureApp(app: NestFastifyApplication): void {
  useStructuredLogs(app);
  const fastify = app.getHttpAdapter().getInstance();
  const tracing = traceRequests(fastify);
  const logScope = logRequests(fastify, app.get(APP_LOGGER), tracing.traceId);
  runHandlersInScopes(fastify, [tracing.scope, logScope]);
  registerSignaturePrecheck(fastify, app.get(SignatureConfig));
  giveBackUnusedSignatures(fastify, app.get(SpentSignaturesService));
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  // Fastify's secure parser, so `__proto__` and `constructor.prototype` keys stay a 400.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES },
    (request, body: Buffer, done) => {
      // The signature covers the exact bytes sent, which re-serialising the parsed body would not give.
      (request as RawBodyRequest<FastifyRequest>).rawBody = body;
      // The transformer and validator recurse: thousands of levels would overflow their stack (500).
      if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) return done(new JsonTooDeepError(MAX_JSON_DEPTH), undefined);
      void parseJson(request, body.toString('utf8'), done);
    },
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sheen worker service')
      .setDescription(
        'Creates projects atomically with server-chosen ids, builds them in the background and bills the AI time each build uses. Errors are application/problem+json with a stable `code`. Every /v1 request is signed: use Authorize to enter the shared secret.',
      )
      .setVersion('1')
      // Relative: whichever origin serves this document (local, staging, production), which Swagger
      // UI then calls; an absolute URL would be wrong everywhere but one deployment (ADR 042).
      .addServer('/', 'The service this document was served by')
      .addApiKey(
        { type: 'apiKey', in: 'header', name: SWAGGER_SECRET_HEADER, description: SECURITY_SCHEME_DESCRIPTION },
        SECURITY_SCHEME,
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, requireSignatures(document), {
    jsonDocumentUrl: 'docs-json',
    // The secret stays in this page's memory only: not in localStorage, not on the wire.
    swaggerOptions: { persistAuthorization: false, requestInterceptor: browserFunction(BROWSER_REQUEST_SIGNER) },
  });
}
